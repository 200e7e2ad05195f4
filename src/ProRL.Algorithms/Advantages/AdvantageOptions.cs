using ProRL.Algorithms.Common;

namespace ProRL.Algorithms.Advantages;

/// <summary>Advantage settings (bindable from the <c>Algorithm</c> configuration section).</summary>
public sealed class AdvantageOptions
{
    /// <summary>Which estimator; GRPO by default (DESIGN §6).</summary>
    public AdvantageEstimator Estimator { get; set; } = AdvantageEstimator.Grpo;

    /// <summary>
    /// ε added to a standard deviation before dividing by it: the floor that keeps a group (or batch) whose rewards are all
    /// equal finite; such a group gets advantage 0 because its numerator is 0.
    /// </summary>
    public double StdEpsilon { get; set; } = 1e-6;

    /// <summary>Divide the sum of squares by n − 1 (Bessel; torch.std's default, as verl uses) rather than n.</summary>
    public bool UnbiasedStd { get; set; } = true;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        Check.Option(Enum.IsDefined(Estimator), nameof(Estimator), Estimator,
            $"allowed values are {string.Join(", ", Enum.GetNames<AdvantageEstimator>())}");
        Check.Option(double.IsFinite(StdEpsilon) && StdEpsilon > 0, nameof(StdEpsilon), StdEpsilon, "must be a positive number");
    }
}
