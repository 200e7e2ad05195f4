using System.Collections;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ProRL.Worker.Options;

/// <summary>
/// Refuses configuration keys that match no option (a misspelt option would otherwise keep its default silently),
/// naming the key and the options its section knows.
/// </summary>
public sealed class UnknownOptionsValidator<TOptions>(IConfiguration configuration) : IValidateOptions<TOptions>
    where TOptions : class, IOptionsSection
{
    /// <summary>Options that existed once and mean nothing now: each is refused with what replaced it, not ignored.</summary>
    private static readonly Dictionary<string, string> Retired = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Services:ReferenceReset"] = "Services:ReferenceReset is no longer an option: the trainer decides reference resets between its steps " +
                                      "(on the host that runs Services:Trainer). Remove it; to turn resets off, set ReferenceReset:Enabled=false.",
    };

    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var errors = new List<string>();
        Check(configuration.GetSection(TOptions.SectionName), typeof(TOptions), errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Check(IConfigurationSection section, Type type, List<string> errors)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite)
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetChildren())
        {
            if (Retired.TryGetValue(child.Path, out var retired))
            {
                errors.Add(retired);
                continue;
            }
            if (!properties.TryGetValue(child.Key, out var property))
            {
                errors.Add($"{child.Path} is not an option; {section.Path} has: {string.Join(", ", properties.Keys)}.");
                continue;
            }
            var propertyType = property.PropertyType;
            bool structured = IsOptionsType(propertyType) || ListElementType(propertyType) is not null ||
                              (propertyType.IsGenericType && propertyType.GetGenericTypeDefinition() == typeof(Dictionary<,>));
            // The binder ignores a plain value where a list or an object belongs; the option would silently stay empty.
            if (structured && child.Value is { Length: > 0 } value && !child.GetChildren().Any())
            {
                errors.Add($"{child.Path} must be {(ListElementType(propertyType) is null ? "an object" : "a list")} of settings; got the value '{value}'.");
                continue;
            }
            if (IsOptionsType(propertyType)) Check(child, propertyType, errors);
            else if (ListElementType(propertyType) is { } element && IsOptionsType(element))
                foreach (var item in child.GetChildren())
                {
                    if (item.Value is { Length: > 0 } itemValue && !item.GetChildren().Any())
                        errors.Add($"{item.Path} must be an object of settings ({string.Join(", ", element.GetProperties().Select(p => p.Name))}); got the value '{itemValue}'.");
                    else Check(item, element, errors);
                }
        }
    }

    private static bool IsOptionsType(Type type) => type.IsClass && type.Namespace == typeof(IOptionsSection).Namespace;

    private static Type? ListElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : typeof(IList).IsAssignableFrom(type) && type.IsGenericType ? type.GetGenericArguments()[0]
        : null;
}
