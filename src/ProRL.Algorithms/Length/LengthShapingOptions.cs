using ProRL.Algorithms.Common;

namespace ProRL.Algorithms.Length;

/// <summary>Reward shaping by response length (bindable from the <c>Algorithm</c> configuration section).</summary>
public sealed class LengthShapingOptions
{
    /// <summary>Replace the verifier's reward of a response that stopped without EOS (truncated) by 0 before penalising.</summary>
    public bool ZeroRewardWithoutEos { get; set; }

    /// <summary>Amount (≥ 0) subtracted from the reward of a response that stopped without EOS. Default 0 (off).</summary>
    public double NoEosPenalty { get; set; }

    /// <summary>DAPO's soft overlong penalty.</summary>
    public OverlongPenaltyOptions Overlong { get; set; } = new();

    /// <summary>ProRL v2's cyclic cosine length penalty.</summary>
    public CosineLengthPenaltyOptions Cosine { get; set; } = new();

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        Check.Option(double.IsFinite(NoEosPenalty) && NoEosPenalty >= 0, nameof(NoEosPenalty), NoEosPenalty, "must be a number ≥ 0");
        Overlong.Validate();
        Cosine.Validate();
    }
}

/// <summary>DAPO's soft overlong punishment: 0 up to L_max − L_cache, then linear down to −factor at L_max, −factor beyond.</summary>
public sealed class OverlongPenaltyOptions
{
    /// <summary>Apply the penalty. Default off.</summary>
    public bool Enabled { get; set; }

    /// <summary>L_max, the response-length limit in tokens.</summary>
    public int MaxLength { get; set; } = 8192;

    /// <summary>L_cache, the width of the linear ramp before L_max.</summary>
    public int BufferLength { get; set; } = 1024;

    /// <summary>The penalty at and beyond L_max (verl's penalty factor). Default 1.</summary>
    public double Factor { get; set; } = 1.0;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        Check.Option(MaxLength > 0, $"Overlong.{nameof(MaxLength)}", MaxLength, "must be at least 1");
        Check.Option(BufferLength > 0 && BufferLength <= MaxLength, $"Overlong.{nameof(BufferLength)}", BufferLength,
            $"must be between 1 and MaxLength ({MaxLength})");
        Check.Option(double.IsFinite(Factor) && Factor >= 0, $"Overlong.{nameof(Factor)}", Factor, "must be a number ≥ 0");
    }
}

/// <summary>
/// ProRL v2's scheduled length penalty: a cosine-shaped penalty on length, switched on for <see cref="OnSteps"/> steps
/// then off for <see cref="OffSteps"/>, cyclically.
/// </summary>
public sealed class CosineLengthPenaltyOptions
{
    /// <summary>Apply the penalty (on its schedule). Default off.</summary>
    public bool Enabled { get; set; }

    /// <summary>The penalty at (and beyond) <see cref="MaxLength"/>. Default 0.5.</summary>
    public double Weight { get; set; } = 0.5;

    /// <summary>Length in tokens at which the penalty reaches its full weight.</summary>
    public int MaxLength { get; set; } = 8192;

    /// <summary>A: steps with the penalty on at the start of each cycle.</summary>
    public int OnSteps { get; set; } = 50;

    /// <summary>B: steps with the penalty off at the end of each cycle.</summary>
    public int OffSteps { get; set; } = 50;

    /// <summary>Penalise only responses whose reward is at least <see cref="CorrectThreshold"/> (brevity among correct answers).</summary>
    public bool OnlyCorrect { get; set; } = true;

    /// <summary>Reward from which a response counts as correct. Default 1.</summary>
    public double CorrectThreshold { get; set; } = 1.0;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        Check.Option(double.IsFinite(Weight) && Weight >= 0, $"Cosine.{nameof(Weight)}", Weight, "must be a number ≥ 0");
        Check.Option(MaxLength > 0, $"Cosine.{nameof(MaxLength)}", MaxLength, "must be at least 1");
        Check.Option(OnSteps >= 0, $"Cosine.{nameof(OnSteps)}", OnSteps, "must be ≥ 0");
        Check.Option(OffSteps >= 0, $"Cosine.{nameof(OffSteps)}", OffSteps, "must be ≥ 0");
        Check.Option(OnSteps + OffSteps > 0, $"Cosine.{nameof(OnSteps)}", OnSteps, "OnSteps + OffSteps must be at least 1");
        Check.Option(double.IsFinite(CorrectThreshold), $"Cosine.{nameof(CorrectThreshold)}", CorrectThreshold, "must be a number");
    }
}
