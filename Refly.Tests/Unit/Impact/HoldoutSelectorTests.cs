using Refly.Core.Impact;
using Refly.Core.Impact.Holdouts;
using Refly.KlaviyoSandbox.Store;

namespace Refly.Tests.Unit.Impact;

public sealed class HoldoutSelectorTests
{
    private static readonly List<string> _profiles = Enumerable.Range(0, 5_000).Select(i => ProfileGenerator.IdFor(i)).ToList();

    [Theory]
    [InlineData(0.10)]
    [InlineData(0.25)]
    [InlineData(0.50)]
    public void IsHeldOut_HoldsOutAboutTheShare(double share)
    {
        var run = Guid.NewGuid();

        var heldOut = _profiles.Count(p => HoldoutSelector.IsHeldOut(run, p, share));

        Assert.InRange(heldOut / (double)_profiles.Count, share - 0.015, share + 0.015);
    }

    [Fact]
    public void IsHeldOut_IsTheSameForTheSameRunAndDiffersBetweenRuns()
    {
        var run = Guid.Parse("6f1c2a0e-3b4d-4c5e-8f90-a1b2c3d4e5f6");
        var first = _profiles.Where(p => HoldoutSelector.IsHeldOut(run, p, 0.1)).ToList();
        var again = _profiles.Where(p => HoldoutSelector.IsHeldOut(Guid.Parse(run.ToString()), p, 0.1)).ToList();
        var other = _profiles.Where(p => HoldoutSelector.IsHeldOut(Guid.NewGuid(), p, 0.1)).ToList();

        Assert.Equal(first, again);
        // Independent runs overlap about share x share of the audience, not wholly.
        Assert.True(first.Intersect(other).Count() < first.Count / 2, "another run holds out the same contacts");
    }

    [Fact]
    public void IsHeldOut_ZeroHoldsNobodyOut_AndALargerShareContainsTheSmaller()
    {
        var run = Guid.NewGuid();

        Assert.DoesNotContain(_profiles, p => HoldoutSelector.IsHeldOut(run, p, 0));
        var small = _profiles.Where(p => HoldoutSelector.IsHeldOut(run, p, 0.1)).ToHashSet();
        var large = _profiles.Where(p => HoldoutSelector.IsHeldOut(run, p, 0.3)).ToHashSet();
        Assert.Subset(large, small);
        Assert.All(_profiles, p => Assert.InRange(HoldoutSelector.PositionOf(run, p), 0.0, 0.9999999999));
    }

    [Fact]
    public void Hint_SaysWhatTheHoldoutCanDetect()
    {
        var expected = LiftCalculator.MinimumDetectableChange(198_000, 0.10, HoldoutHint.TypicalOpenRate)!.Value;
        Assert.InRange(expected, 0.0095, 0.0105);

        Assert.Equal("With 198,000 recipients and 10% held out, an open-rate change of about 1 point can be detected.", HoldoutHint.For(198_000, 0.10));
        Assert.Contains("about 3 points", HoldoutHint.For(20_000, 0.10), StringComparison.Ordinal);
        Assert.StartsWith("No holdout", HoldoutHint.For(198_000, 0), StringComparison.Ordinal);
        Assert.Contains("too few", HoldoutHint.For(5, 0.10), StringComparison.Ordinal);
    }
}
