using ProRL.Tasks.Datasets;
using ProRL.Tasks.Logic;
using ProRL.Tasks.Mathematics;
using ProRL.Tasks.Model;

namespace ProRL.Tasks.Mixture;

/// <summary>Ready-made mixture sources that need no files: generators and the shipped sample sets.</summary>
public static class BuiltInSources
{
    /// <summary>Logic puzzles from the given families (training families by default), difficulty drawn from [min, max].</summary>
    public static TaskSource Logic(double weight = 1.0, IReadOnlyList<string>? families = null, int minDifficulty = 0, int maxDifficulty = 2, string name = "logic")
    {
        families ??= LogicGenerators.TrainingFamilies;
        if (families.Count == 0) throw new ArgumentException("at least one logic family is needed", nameof(families));
        foreach (var f in families) LogicGenerators.Get(f); // fails early on a typo
        if (minDifficulty < 0 || maxDifficulty < minDifficulty)
            throw new ArgumentOutOfRangeException(nameof(maxDifficulty), $"difficulty range [{minDifficulty}, {maxDifficulty}] is empty or negative");
        return TaskSource.FromGenerator(name, weight, seed =>
        {
            var random = new DeterministicRandom((ulong)(uint)seed);
            var family = LogicGenerators.Get(random.Pick(families));
            var difficulty = System.Math.Min(random.Next(minDifficulty, maxDifficulty + 1), family.MaxDifficulty);
            return LogicGenerators.Generate(family.Name, seed, difficulty);
        });
    }

    /// <summary>Arithmetic in the math domain, difficulty drawn from [min, max].</summary>
    public static TaskSource Arithmetic(double weight = 1.0, int minDifficulty = 0, int maxDifficulty = 2, string name = "arithmetic")
    {
        if (minDifficulty < 0 || maxDifficulty > ArithmeticGenerator.MaxDifficulty || maxDifficulty < minDifficulty)
            throw new ArgumentOutOfRangeException(nameof(maxDifficulty), $"arithmetic difficulty range [{minDifficulty}, {maxDifficulty}] must lie in [0, {ArithmeticGenerator.MaxDifficulty}]");
        return TaskSource.FromGenerator(name, weight, seed =>
            ArithmeticGenerator.Generate(seed, new DeterministicRandom((ulong)(uint)seed).Next(minDifficulty, maxDifficulty + 1)));
    }

    /// <summary>The shipped sample set of a domain as a source.</summary>
    public static TaskSource Sample(string domain, double weight = 1.0) => TaskSource.FromItems($"sample-{domain}", weight, SampleSets.Load(domain));

    /// <summary>The default mixture: generated logic (the given families; the training families by default) and arithmetic
    /// plus every shipped sample set.</summary>
    public static IReadOnlyList<TaskSource> DefaultMixture(IReadOnlyList<string>? logicFamilies = null) =>
        [Logic(2.0, logicFamilies), Arithmetic(2.0), Sample(TaskDomains.Math), Sample(TaskDomains.Code), Sample(TaskDomains.Stem), Sample(TaskDomains.IfEval)];
}
