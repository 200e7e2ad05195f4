namespace ProRL.Training.Autodiff;

/// <summary>Options of <see cref="GradientBuilder"/>.</summary>
public sealed record GradientOptions
{
    /// <summary>The model's name in error messages (e.g. its path); defaults to the graph's name.</summary>
    public string? ModelName { get; init; }

    /// <summary>Prefix of the names of the nodes the builder adds.</summary>
    public string NodePrefix { get; init; } = "grad";

    /// <summary>Name given to the gradient value of each differentiated value (made unique if taken).</summary>
    public Func<string, string> GradientName { get; init; } = name => name + "_grad";
}
