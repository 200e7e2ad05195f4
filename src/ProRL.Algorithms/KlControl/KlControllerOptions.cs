using ProRL.Algorithms.Common;

namespace ProRL.Algorithms.KlControl;

/// <summary>Fixed or adaptive KL coefficient.</summary>
public enum KlControllerKind
{
    /// <summary>The coefficient never changes.</summary>
    Fixed,

    /// <summary>Ziegler et al. (2019) proportional controller toward a target KL, as verl's AdaptiveKLController.</summary>
    Adaptive,
}

/// <summary>KL coefficient settings (bindable from the <c>Algorithm</c> configuration section).</summary>
public sealed class KlControllerOptions
{
    /// <summary>Fixed or adaptive. Default fixed.</summary>
    public KlControllerKind Kind { get; set; } = KlControllerKind.Fixed;

    /// <summary>Starting coefficient. Default 1e-4 (DESIGN §6).</summary>
    public double InitialCoef { get; set; } = 1e-4;

    /// <summary>Adaptive only: the KL the controller steers toward.</summary>
    public double TargetKl { get; set; } = 0.01;

    /// <summary>Adaptive only: horizon H in samples (how slowly the coefficient moves).</summary>
    public int Horizon { get; set; } = 10000;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        Check.Option(Enum.IsDefined(Kind), nameof(Kind), Kind, $"allowed values are {string.Join(", ", Enum.GetNames<KlControllerKind>())}");
        Check.Option(double.IsFinite(InitialCoef) && InitialCoef >= 0, nameof(InitialCoef), InitialCoef, "must be a number ≥ 0");
        if (Kind != KlControllerKind.Adaptive) return;
        Check.Option(double.IsFinite(TargetKl) && TargetKl > 0, nameof(TargetKl), TargetKl, "must be a positive number");
        Check.Option(Horizon > 0, nameof(Horizon), Horizon, "must be at least 1");
    }
}
