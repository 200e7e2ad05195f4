namespace ProRL.Tasks.Code;

/// <summary>
/// The python driver placed next to the solution. It compiles the solution first (a syntax error is reported with the
/// run's nonce on stderr and exit code 3), then either runs it as <c>__main__</c> (stdin/stdout tests) or executes it as
/// a module and then each assert, writing one nonce-tagged result line per test to a duplicate of the original stdout.
/// </summary>
internal static class CodeHarness
{
    public const int SyntaxErrorExitCode = 3;
    public const string SolutionFile = "solution.py";
    public const string HarnessFile = "harness.py";
    public const string TestsFile = "tests.json";

    public const string Source = """
        import json, os, sys
        nonce, mode = sys.argv[1], sys.argv[2]
        with open('solution.py', encoding='utf-8') as f:
            source = f.read()
        try:
            code = compile(source, 'solution.py', 'exec')
        except (SyntaxError, ValueError) as e:
            sys.stderr.write(nonce + ':SYNTAX:' + str(e).replace('\n', ' ') + '\n')
            sys.exit(3)
        if mode == 'run':
            sys.argv = ['solution.py']
            exec(code, {'__name__': '__main__', '__file__': 'solution.py'})
        else:
            with open('tests.json', encoding='utf-8') as f:
                tests = json.load(f)
            report = os.fdopen(os.dup(1), 'w')
            namespace = {'__name__': 'solution', '__file__': 'solution.py'}
            try:
                exec(code, namespace)
                loaded = True
            except BaseException as e:
                loaded = False
                sys.stderr.write('solution failed to load: %r\n' % (e,))
            for i, test in enumerate(tests):
                ok = False
                if loaded:
                    try:
                        exec(test, namespace)
                        ok = True
                    except BaseException as e:
                        sys.stderr.write('test %d failed: %r\n' % (i, e))
                report.write('%s:%d:%s\n' % (nonce, i, 'PASS' if ok else 'FAIL'))
                report.flush()
        """;
}
