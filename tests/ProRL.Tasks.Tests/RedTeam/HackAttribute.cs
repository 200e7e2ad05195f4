namespace ProRL.Tasks.Tests.RedTeam;

/// <summary>Marks a red-team test with the hack class (<c>domain/name</c>, as listed by the verifiers) it exercises.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class HackAttribute(string id) : Attribute
{
    public string Id { get; } = id;
}
