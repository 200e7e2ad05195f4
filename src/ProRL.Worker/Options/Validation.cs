using System.Collections;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace ProRL.Worker.Options;

/// <summary>An options class bound from one configuration section.</summary>
public interface IOptionsSection
{
    static abstract string SectionName { get; }
}

/// <summary>A string option restricted to a fixed set of values (compared case-insensitively); the message lists them.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class OneOfAttribute(params string[] allowed) : ValidationAttribute
{
    public IReadOnlyList<string> Allowed { get; } = allowed;

    public override bool IsValid(object? value) =>
        value is null || (value is string s && Allowed.Contains(s, StringComparer.OrdinalIgnoreCase));

    public override string FormatErrorMessage(string name) => $"{name} must be one of: {string.Join(", ", Allowed)}.";
}

/// <summary>
/// Validates an options section at start-up: the DataAnnotations of every property (recursing into nested option objects
/// and lists), named by their configuration path (<c>Algorithm:ClipHigh</c>, <c>Tasks:Datasets:0:Path</c>), then the
/// cross-field rules of <see cref="CrossFieldErrors"/>.
/// </summary>
public abstract class SectionValidator<TOptions> : IValidateOptions<TOptions>
    where TOptions : class, IOptionsSection
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var errors = new List<string>();
        ValidateAnnotations(options, TOptions.SectionName, errors);
        if (errors.Count == 0) errors.AddRange(CrossFieldErrors(options));
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Rules between fields; each message names the options involved. Runs once the single fields are valid.</summary>
    protected virtual IEnumerable<string> CrossFieldErrors(TOptions options) => [];

    /// <summary>Formats a value for a message.</summary>
    protected static string Show(object? value) => value switch
    {
        null => "null",
        string s => $"'{s}'",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static void ValidateAnnotations(object target, string path, List<string> errors)
    {
        foreach (var property in target.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!property.CanRead || property.GetIndexParameters().Length > 0) continue;
            var value = property.GetValue(target);
            var propertyPath = $"{path}:{property.Name}";
            var context = new ValidationContext(target) { MemberName = property.Name, DisplayName = propertyPath };
            var results = new List<ValidationResult>();
            if (!Validator.TryValidateProperty(value, context, results))
                errors.AddRange(results.Select(r => $"{r.ErrorMessage} Got {Show(value)}."));
            if (IsNestedOptions(value)) ValidateAnnotations(value!, propertyPath, errors);
            else if (value is IList list)
            {
                for (int i = 0; i < list.Count; i++)
                    if (IsNestedOptions(list[i])) ValidateAnnotations(list[i]!, $"{propertyPath}:{i}", errors);
            }
        }
    }

    private static bool IsNestedOptions(object? value) =>
        value is not null && value.GetType().IsClass && value.GetType().Namespace == typeof(SectionValidator<>).Namespace;
}
