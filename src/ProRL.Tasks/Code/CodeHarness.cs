namespace ProRL.Tasks.Code;

/// <summary>
/// The python side of code verification, one script with four modes, each run in its own sandboxed process:
/// <list type="bullet">
/// <item><c>plan</c> (trusted, never sees the solution run): compiles the solution (syntax check only) and splits each
/// assert test into <em>probes</em> — the sub-expressions that touch the solution, e.g. <c>add(1, 2)</c> — and the
/// trusted rest. For <c>probe == literal</c> it evaluates the literal into a tagged plain value that only the parent
/// keeps.</item>
/// <item><c>probe</c> (untrusted, runs the solution): evaluates the probes and writes each value, serialised as a
/// tagged plain value, on the result channel. It sees the arguments of calls, never an expected value, a nonce or a
/// verdict: whatever it writes, the parent decides.</item>
/// <item><c>judge</c> (trusted, never runs the solution): evaluates asserts that are not a plain equality, with the
/// probes replaced by values rebuilt from their serialisation (genuine ints, strs, lists, …).</item>
/// <item><c>run</c> (untrusted): runs the solution as <c>__main__</c> on a stdin/stdout test; the parent compares.</item>
/// </list>
/// </summary>
internal static class CodeHarness
{
    public const string SolutionFile = "solution.py";
    public const string HarnessFile = "harness.py";

    public const string Source = """
        import ast, builtins, json, math, os, sys

        # Builtins without side effects: an expression made of these and literals is evaluated by the trusted judge.
        PURE = {'abs', 'all', 'any', 'bool', 'chr', 'dict', 'divmod', 'enumerate', 'filter', 'float', 'frozenset', 'int',
                'isinstance', 'len', 'list', 'map', 'max', 'min', 'ord', 'pow', 'range', 'repr', 'reversed', 'round',
                'set', 'sorted', 'str', 'sum', 'tuple', 'type', 'zip', 'True', 'False', 'None', 'bytes', 'complex',
                'Exception', 'ValueError', 'TypeError', 'KeyError', 'IndexError', 'ZeroDivisionError'}
        CONTAINERS = (ast.Compare, ast.BoolOp, ast.UnaryOp, ast.BinOp, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.Subscript,
                      ast.IfExp, ast.Slice, ast.Starred, ast.keyword)

        def tag(v, depth=0):
            # Plain values only, by exact type: subclasses and objects with custom equality become opaque.
            t = type(v)
            if depth > 40: return {'opaque': 'too deep'}
            if v is None or t is bool or t is str: return v
            if t is int: return {'int': str(v)}
            if t is float: return {'float': repr(v)}
            if t is list: return [tag(x, depth + 1) for x in v]
            if t is tuple: return {'tuple': [tag(x, depth + 1) for x in v]}
            if t is dict: return {'dict': [[tag(k, depth + 1), tag(x, depth + 1)] for k, x in v.items()]}
            if t is set: return {'set': [tag(x, depth + 1) for x in v]}
            if t is frozenset: return {'frozenset': [tag(x, depth + 1) for x in v]}
            if t is bytes: return {'bytes': v.hex()}
            return {'opaque': t.__name__ if isinstance(t.__name__, str) else '?'}

        def untag(j):
            if j is None or type(j) in (bool, str): return j
            if type(j) is list: return [untag(x) for x in j]
            (k, x), = j.items()
            if k == 'int': return int(x)
            if k == 'float': return float(x)
            if k == 'tuple': return tuple(untag(y) for y in x)
            if k == 'dict': return {untag(a): untag(b) for a, b in x}
            if k == 'set': return {untag(y) for y in x}
            if k == 'frozenset': return frozenset(untag(y) for y in x)
            if k == 'bytes': return bytes.fromhex(x)
            raise ValueError('not a plain value: %r' % (x,))

        def names(node):
            return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}

        def plan_test(src, trusted_modules):
            tree = ast.parse(src)
            trusted = set(PURE) | set(trusted_modules)
            child, judge_steps, checks, probes = [], [], [], []
            def touches(node): return bool(names(node) - trusted)
            def probe(node):
                src = ast.unparse(node)
                # A lazy iterator is not a value: materialise map(f, xs) and its kind in the solution's process.
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ('map', 'filter', 'zip', 'enumerate', 'reversed', 'iter'):
                    src = 'list(%s)' % src
                probes.append(src)
                i = len(probes) - 1
                child.append({'probe': i, 'expr': probes[i]})
                return ast.Name(id='__probe_%d' % i, ctx=ast.Load())
            def split(node):
                if not touches(node): return node
                if isinstance(node, ast.Call) and not touches(node.func):
                    # sorted(f(x)) splits; map(f, xs) cannot (a function is not a plain value), so it is probed whole.
                    if any(isinstance(a, (ast.Name, ast.Attribute, ast.Lambda)) and touches(a) for a in node.args + [k.value for k in node.keywords]):
                        return probe(node)
                    node.args = [split(a) for a in node.args]
                    node.keywords = [split(k) for k in node.keywords]
                    return node
                if isinstance(node, CONTAINERS):
                    for field, value in ast.iter_fields(node):
                        if isinstance(value, ast.AST) and not isinstance(value, (ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop)):
                            setattr(node, field, split(value))
                        elif isinstance(value, list):
                            setattr(node, field, [split(v) if isinstance(v, ast.AST) and not isinstance(v, ast.cmpop) else v for v in value])
                    return node
                return probe(node)
            asserts = 0
            for stmt in tree.body:
                if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                    child.append({'exec': ast.unparse(stmt)})
                    judge_steps.append(ast.unparse(stmt))
                    trusted |= {(a.asname or a.name).split('.')[0] for a in stmt.names}
                elif isinstance(stmt, ast.Assert):
                    asserts += 1
                    test = split(stmt.test)
                    if (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)
                            and [isinstance(s, ast.Name) and s.id.startswith('__probe_') for s in (test.left, test.comparators[0])].count(True) == 1):
                        p, other = (test.left, test.comparators[0]) if isinstance(test.left, ast.Name) and test.left.id.startswith('__probe_') else (test.comparators[0], test.left)
                        if not any(n.startswith('__probe_') for n in names(other)):
                            checks.append({'eq': int(p.id[8:]), 'expr': ast.unparse(other)})
                            continue
                    checks.append({'template': ast.unparse(test), 'probes': sorted(int(n[8:]) for n in names(test) if n.startswith('__probe_'))})
                elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and not touches(stmt.value) and all(isinstance(t, ast.Name) for t in ([stmt.target] if isinstance(stmt, ast.AnnAssign) else stmt.targets)):
                    # Trusted constants (often expected values) stay with the judge; the solution gets them only if a probe uses them.
                    judge_steps.append(ast.unparse(stmt))
                    targets = [stmt.target] if isinstance(stmt, ast.AnnAssign) else stmt.targets
                    child.append({'exec': ast.unparse(stmt), 'only_if_used': [t.id for t in targets]})
                    trusted |= {t.id for t in targets}
                elif isinstance(stmt, ast.FunctionDef) and not any(isinstance(n, ast.Assert) for n in ast.walk(stmt)) and not (
                        names(stmt) - trusted - {a.arg for a in ast.walk(stmt) if isinstance(a, ast.arg)}
                        - {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)} - {stmt.name}):
                    # A reference helper the test defines from trusted names only runs in the judge, out of the solution's reach.
                    judge_steps.append(ast.unparse(stmt))
                    trusted.add(stmt.name)
                else:
                    if any(isinstance(n, ast.Assert) for n in ast.walk(stmt)):
                        raise ValueError('an assert inside a compound statement cannot be checked outside the solution')
                    child.append({'exec': ast.unparse(stmt)})
                    for n in ast.walk(stmt):
                        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store): trusted.discard(n.id)
            if asserts == 0:
                raise ValueError('a test without an assert cannot be verified')
            if not probes:
                # An assert that never touches the solution still requires the solution to load and reach it.
                probe(ast.Constant(value=None))
                checks.append({'eq': len(probes) - 1, 'expr': 'None'})
            used = set().union(*[names(ast.parse(p, mode='eval')) for p in probes]) if probes else set()
            child = [s for s in child if not s.get('only_if_used') or set(s['only_if_used']) & used]
            if 'math' in used: child.insert(0, {'exec': 'import math'})  # math is available to tests without an import
            for s in child: s.pop('only_if_used', None)
            return {'child': child, 'judge': judge_steps, 'checks': checks}

        def main():
            mode = sys.argv[1]
            if mode == 'plan':
                job = json.load(sys.stdin)
                out = {'syntax': None, 'tests': []}
                try:
                    compile(job['solution'], 'solution.py', 'exec')
                except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
                    out['syntax'] = (str(e) or type(e).__name__).replace('\n', ' ')
                for src in job['tests']:
                    try:
                        p = plan_test(src, ['math'])
                        ns = {'math': math}
                        for s in p['judge']: exec(s, ns)
                        for c in p['checks']:
                            if 'eq' in c:
                                c['expected'] = tag(eval(c.pop('expr'), ns))
                        out['tests'].append(p)
                    except Exception as e:
                        out['tests'].append({'error': '%s: %s' % (type(e).__name__, e)})
                sys.stdout.write(json.dumps(out))
            elif mode == 'judge':
                job = json.load(sys.stdin)
                verdicts = []
                for test, values in zip(job['tests'], job['values']):
                    ok = []
                    ns = {'math': math}
                    try:
                        for s in test['judge']: exec(s, ns)
                    except Exception:
                        verdicts.append([False] * len(test['checks'])); continue
                    for c in test['checks']:
                        try:
                            local = dict(ns)
                            for i in c['probes']:
                                local['__probe_%d' % i] = untag(values[str(i)])
                            ok.append(bool(eval(c['template'], local)))
                        except Exception:
                            ok.append(False)
                    verdicts.append(ok)
                sys.stdout.write(json.dumps(verdicts))
            elif mode == 'probe':
                job = json.loads(sys.stdin.read())
                sys.stdin = open(os.devnull)
                # The result channel is a private copy of stdout; the solution's own prints go to stderr.
                channel = os.fdopen(os.dup(1), 'w')
                os.dup2(2, 1)
                sys.stdout = sys.stderr
                with open('solution.py', encoding='utf-8') as f:
                    code = compile(f.read(), 'solution.py', 'exec')
                namespace = {'__name__': 'solution', '__file__': 'solution.py'}
                exec(code, namespace)
                for t, steps in enumerate(job):
                    for step in steps:
                        try:
                            if 'exec' in step:
                                exec(step['exec'], namespace)
                            else:
                                line = json.dumps({'t': t, 'p': step['probe'], 'v': tag(eval(step['expr'], namespace))})
                                channel.write(line + '\n'); channel.flush()
                        except BaseException as e:
                            if isinstance(e, KeyboardInterrupt): raise
                            sys.stderr.write('test %d: %s\n' % (t, type(e).__name__))
                            break
            else:
                sys.argv = ['solution.py']
                with open('solution.py', encoding='utf-8') as f:
                    code = compile(f.read(), 'solution.py', 'exec')
                exec(code, {'__name__': '__main__', '__file__': 'solution.py'})

        main()
        """;
}
