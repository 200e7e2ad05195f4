using System.ComponentModel.DataAnnotations;

namespace ProRL.Worker.Options;

/// <summary><c>Services</c>: which hosted services this host runs (one host may run all, or only rollouts).</summary>
public sealed class ServicesOptions : IOptionsSection
{
    public static string SectionName => "Services";

    public bool Rollout { get; set; } = true;
    public bool Reward { get; set; } = true;
    public bool Trainer { get; set; } = true;
    public bool Validation { get; set; } = true;

    /// <summary>
    /// Names this host's consumers among several hosts or processes on one run directory: claims survive a restart
    /// under the same name, so two processes on one host that both run a consuming service need different names.
    /// </summary>
    [RegularExpression("^[A-Za-z0-9_]{1,40}$", ErrorMessage = "{0} must be 1 to 40 letters, digits or '_'.")]
    public string InstanceName { get; set; } = "main";

    public bool AnyOn => Rollout || Reward || Trainer || Validation;
}

public sealed class ServicesOptionsValidator : SectionValidator<ServicesOptions>
{
    protected override IEnumerable<string> CrossFieldErrors(ServicesOptions o)
    {
        if (!o.AnyOn)
            yield return "Services: every service is off; turn on at least one of Services:Rollout, Services:Reward, " +
                         "Services:Trainer, Services:Validation.";
    }
}
