using System.Reflection;
using ProRL.Tasks.Verification;

namespace ProRL.Tasks.Tests.RedTeam;

/// <summary>The audit list of `prorl score --audit` is backed by tests, and every red-team test names a listed class.</summary>
public class HackAuditTests
{
    private static IReadOnlyList<string> Tested() =>
        typeof(HackAuditTests).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
            .SelectMany(m => m.GetCustomAttributes<HackAttribute>())
            .Select(a => a.Id)
            .ToList();

    [Fact]
    public void Every_listed_hack_class_has_a_red_team_test()
    {
        var tested = Tested().ToHashSet();
        var untested = HackClasses.All.Where(h => !tested.Contains(h.Id)).Select(h => h.Id).ToList();
        Assert.True(untested.Count == 0, "listed but not tested: " + string.Join(", ", untested));
    }

    [Fact]
    public void Every_red_team_test_names_a_listed_class_of_a_known_domain()
    {
        var listed = HackClasses.All.Select(h => h.Id).ToHashSet();
        var unlisted = Tested().Where(id => !listed.Contains(id)).Distinct().ToList();
        Assert.True(unlisted.Count == 0, "tested but not listed: " + string.Join(", ", unlisted));
        Assert.All(HackClasses.All, h => Assert.Contains(h.Domain, HackClasses.Domains));
        Assert.Equal(HackClasses.All.Count, HackClasses.All.Select(h => h.Id).Distinct().Count());
    }
}
