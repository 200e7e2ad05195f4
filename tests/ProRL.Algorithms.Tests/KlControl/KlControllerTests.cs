using ProRL.Algorithms.KlControl;

namespace ProRL.Algorithms.Tests.KlControl;

public class KlControllerTests
{
    [Fact]
    public void Fixed_controller_never_moves()
    {
        var controller = KlController.Create(new KlControllerOptions { InitialCoef = 0.1 });
        controller.Update(5, 100);
        Assert.IsType<FixedKlController>(controller);
        Assert.Equal(0.1, controller.Coefficient);
    }

    [Fact]
    public void Adaptive_controller_follows_ziegler_update()
    {
        var controller = KlController.Create(new KlControllerOptions
        {
            Kind = KlControllerKind.Adaptive, InitialCoef = 0.1, TargetKl = 0.01, Horizon = 100,
        });
        // KL 0.011: e = 0.011/0.01 − 1 = 0.1; β = 0.1·(1 + 0.1·10/100) = 0.101.
        controller.Update(0.011, 10);
        Assert.Equal(0.101, controller.Coefficient, 12);
        // KL 0.1: e = 9 → clipped to 0.2; β = 0.101·1.02 = 0.10302.
        controller.Update(0.1, 10);
        Assert.Equal(0.10302, controller.Coefficient, 12);
        // KL 0: e = −1 → clipped to −0.2; β = 0.10302·0.98 = 0.1009596.
        controller.Update(0, 10);
        Assert.Equal(0.1009596, controller.Coefficient, 12);
    }

    [Fact]
    public void Adaptive_coefficient_never_goes_negative()
    {
        // e = −0.2 with 1000 samples over H = 100: 1 − 0.2·10 = −1 → floored at 0.
        var controller = new AdaptiveKlController(0.1, 0.01, 100);
        controller.Update(0, 1000);
        Assert.Equal(0, controller.Coefficient);
    }

    [Fact]
    public void Bad_input_throws()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            KlController.Create(new KlControllerOptions { Kind = KlControllerKind.Adaptive, TargetKl = 0 }));
        Assert.Contains("TargetKl", error.Message);
        var controller = new AdaptiveKlController(0.1, 0.01, 100);
        Assert.Throws<ArgumentOutOfRangeException>(() => controller.Update(double.NaN, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => controller.Update(0.1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FixedKlController(-1));
    }
}
