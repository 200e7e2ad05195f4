namespace ProRL.Algorithms.KlControl;

/// <summary>Holds the KL coefficient and updates it from the KL measured each step.</summary>
public abstract class KlController
{
    private protected KlController(double coefficient)
    {
        if (!(double.IsFinite(coefficient) && coefficient >= 0))
            throw new ArgumentOutOfRangeException(nameof(coefficient), coefficient, "A KL coefficient is a number ≥ 0.");
        Coefficient = coefficient;
    }

    /// <summary>The coefficient to use in the next loss (persist it with the trainer state; restore via the constructor).</summary>
    public double Coefficient { get; protected set; }

    /// <summary>Updates the coefficient after a step whose measured KL was <paramref name="currentKl"/> over <paramref name="samples"/> samples.</summary>
    public void Update(double currentKl, int samples)
    {
        if (!double.IsFinite(currentKl)) throw new ArgumentOutOfRangeException(nameof(currentKl), currentKl, "The measured KL must be finite.");
        if (samples <= 0) throw new ArgumentOutOfRangeException(nameof(samples), samples, "A step has at least one sample.");
        Coefficient = Next(currentKl, samples);
    }

    /// <summary>The coefficient after an update (arguments already checked).</summary>
    protected abstract double Next(double currentKl, int samples);

    /// <summary>The controller the options describe, starting at <see cref="KlControllerOptions.InitialCoef"/>.</summary>
    public static KlController Create(KlControllerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options.Kind switch
        {
            KlControllerKind.Fixed => new FixedKlController(options.InitialCoef),
            KlControllerKind.Adaptive => new AdaptiveKlController(options.InitialCoef, options.TargetKl, options.Horizon),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Kind, "Unknown KL controller."),
        };
    }
}

/// <summary>A coefficient that never changes.</summary>
public sealed class FixedKlController(double coefficient) : KlController(coefficient)
{
    /// <inheritdoc/>
    protected override double Next(double currentKl, int samples) => Coefficient;
}

/// <summary>
/// Ziegler et al. (2019)'s adaptive controller (verl's AdaptiveKLController): with e = clip(KL/target − 1, −0.2, 0.2),
/// β ← β·(1 + e·samples/H). The coefficient rises while the KL exceeds the target and falls while it is below, by at most
/// 20 %·samples/H per update.
/// </summary>
public sealed class AdaptiveKlController : KlController
{
    /// <summary>Bound on the proportional error per update.</summary>
    public const double MaxProportionalError = 0.2;

    /// <param name="coefficient">Current β (initial, or restored from a checkpoint).</param>
    /// <param name="targetKl">KL to steer toward (&gt; 0).</param>
    /// <param name="horizon">H in samples (≥ 1).</param>
    public AdaptiveKlController(double coefficient, double targetKl, int horizon) : base(coefficient)
    {
        if (!(double.IsFinite(targetKl) && targetKl > 0))
            throw new ArgumentOutOfRangeException(nameof(targetKl), targetKl, "The target KL must be a positive number.");
        if (horizon <= 0) throw new ArgumentOutOfRangeException(nameof(horizon), horizon, "The horizon must be at least 1.");
        TargetKl = targetKl;
        Horizon = horizon;
    }

    /// <summary>The KL the controller steers toward.</summary>
    public double TargetKl { get; }

    /// <summary>H, in samples.</summary>
    public int Horizon { get; }

    /// <inheritdoc/>
    protected override double Next(double currentKl, int samples)
    {
        double error = Math.Clamp(currentKl / TargetKl - 1, -MaxProportionalError, MaxProportionalError);
        // A step of more than H/0.2 samples could push the multiplier below 0; a coefficient never goes negative.
        return Coefficient * Math.Max(0, 1 + error * samples / Horizon);
    }
}
