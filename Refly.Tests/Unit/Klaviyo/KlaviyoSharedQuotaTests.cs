using System.Net;
using Microsoft.Extensions.Time.Testing;
using Refly.Core.Klaviyo;

namespace Refly.Tests.Unit.Klaviyo;

/// <summary>
/// The adaptive pacing decision, on a fake clock against a model of Klaviyo's account window: fixed one-minute windows
/// counting Refly's requests and the other integrations' alike, reported in RateLimit-* headers.
/// </summary>
public sealed class KlaviyoSharedQuotaTests
{
    private const int Limit = 750;
    private const double Share = 0.9;
    private static readonly double _alonePerMinute = Share * Limit * (1 - KlaviyoSharedQuota.Margin);

    [Fact]
    public void Alone_BeforeAnyAnswer_AllowsTheShareOfThePublishedLimitLessTheMargin()
    {
        var quota = new KlaviyoSharedQuota(Limit, new FakeTimeProvider());

        Assert.Equal(_alonePerMinute / 60, quota.AllowedPerSecond(Share), 6);
        Assert.Equal(Limit * (1 - KlaviyoSharedQuota.Margin) / 60, quota.AllowedPerSecond(1.0), 6);
    }

    [Fact]
    public void Alone_ForMinutes_UsesItsShareOfEveryWindowAndNoMore()
    {
        var account = new AccountSimulation(othersPerMinute: _ => 0);

        account.Run(TimeSpan.FromMinutes(4));

        // After the first (partial) window: the share less the margin, each window.
        Assert.All(account.Windows.Skip(1).SkipLast(1), w => Assert.InRange(w.Refly, _alonePerMinute - 5, _alonePerMinute + 1));
        Assert.Equal((0, 0), (account.Throttled, account.OthersThrottled));
    }

    [Fact]
    public void NeighbourAtThirtyPercent_ReflyTakesTheShareMinusTheNeighbour_AndNoWindowIsOverspent()
    {
        var account = new AccountSimulation(othersPerMinute: _ => 0.3 * Limit);

        account.Run(TimeSpan.FromMinutes(5));

        var expected = _alonePerMinute - (0.3 * Limit);
        Assert.All(account.Windows.Skip(1).SkipLast(1), w =>
        {
            Assert.InRange(w.Others, 0.3 * Limit - 1, 0.3 * Limit + 1);
            Assert.InRange(w.Refly, expected * 0.93, expected * 1.03);
        });
        Assert.Equal((0, 0), (account.Throttled, account.OthersThrottled));
        Assert.InRange(account.Quota.Snapshot(Share).OthersPerMinute, 0.3 * Limit * 0.9, 0.3 * Limit * 1.1);
    }

    [Fact]
    public void NeighbourStartsMidWindowWhileReflyTakesTheWholeLimit_WhatTheWindowHasLeftHoldsReflyBack()
    {
        // Share 1.0: Refly alone at 98% of the limit. 20 s into the third window a neighbour starts at 30%; while the
        // estimate of its rate catches up (seconds), Refly would spend the window before its end and the neighbour
        // would meet 429s. The window's Remaining, minus what the neighbour will still take, holds Refly back.
        var account = new AccountSimulation(othersPerMinute: t => t >= 140 ? 0.3 * Limit : 0, share: 1.0);

        account.Run(TimeSpan.FromMinutes(5));

        Assert.Equal((0, 0), (account.Throttled, account.OthersThrottled));
        var expected = (Limit * (1 - KlaviyoSharedQuota.Margin)) - (0.3 * Limit);
        Assert.InRange(account.Windows[^2].Refly, expected * 0.93, expected * 1.03);
    }

    [Fact]
    public void NeighbourStops_ReflyRecoversItsShareWithinAMinute()
    {
        var account = new AccountSimulation(othersPerMinute: t => t < 120 ? 0.3 * Limit : 0);

        account.Run(TimeSpan.FromMinutes(4));

        // The neighbour stopped at 2:00; the window from 3:00 is Refly's share again.
        var afterwards = account.Windows.Single(w => w.Start == 180);
        Assert.Equal(0, afterwards.Others);
        Assert.InRange(afterwards.Refly, _alonePerMinute - 10, _alonePerMinute + 1);
        Assert.True(account.Quota.Snapshot(Share).OthersPerMinute < 1);
    }

    [Fact]
    public void TooManyRequests_PausesForRetryAfterAndHalvesTheRate_ThenRecovers()
    {
        var time = new FakeTimeProvider();
        var quota = new KlaviyoSharedQuota(Limit, time);
        var full = quota.AllowedPerSecond(Share);

        var ticket = quota.RecordSent();
        quota.RecordAnswer(ticket, HttpStatusCode.TooManyRequests, null, TimeSpan.FromSeconds(7));

        Assert.Equal(quota.Now + 7, quota.PausedUntil, 6);
        Assert.Equal(full / 2, quota.AllowedPerSecond(Share), 6);
        Assert.NotNull(quota.Snapshot(Share).PausedUntil);

        // Concurrent 429s of the same moment halve once.
        quota.RecordAnswer(quota.RecordSent(), HttpStatusCode.TooManyRequests, null, TimeSpan.FromSeconds(7));
        Assert.Equal(full / 2, quota.AllowedPerSecond(Share), 6);

        time.Advance(KlaviyoSharedQuota.BackoffRecovery / 2);
        Assert.Equal(full * 0.75, quota.AllowedPerSecond(Share), 6);
        Assert.Null(quota.Snapshot(Share).PausedUntil);
        time.Advance(KlaviyoSharedQuota.BackoffRecovery / 2);
        Assert.Equal(full, quota.AllowedPerSecond(Share), 6);
    }

    [Fact]
    public void RepeatedTooManyRequests_BackOffFurther_DownToTheMinimum()
    {
        var time = new FakeTimeProvider();
        var quota = new KlaviyoSharedQuota(Limit, time);
        var full = quota.AllowedPerSecond(Share);

        for (var i = 0; i < 10; i++)
        {
            quota.RecordAnswer(quota.RecordSent(), HttpStatusCode.TooManyRequests, null, null);
            time.Advance(TimeSpan.FromSeconds(1));
        }

        var backoff = quota.Snapshot(Share).Backoff;
        Assert.InRange(backoff, KlaviyoSharedQuota.MinBackoff, KlaviyoSharedQuota.MinBackoff + 0.05);
        Assert.InRange(quota.AllowedPerSecond(Share), full * KlaviyoSharedQuota.MinBackoff, full * (KlaviyoSharedQuota.MinBackoff + 0.05));
    }

    [Fact]
    public void WindowSpentByOthers_AllowsNothingUntilItResets()
    {
        var time = new FakeTimeProvider();
        var quota = new KlaviyoSharedQuota(Limit, time);

        // 20 s before the reset, the others have left 10 requests of 750.
        quota.RecordAnswer(quota.RecordSent(), HttpStatusCode.OK, new KlaviyoRateLimitState(Limit, 10, 20), null);

        Assert.Equal(0, quota.AllowedPerSecond(Share));
        time.Advance(TimeSpan.FromSeconds(19));
        Assert.Equal(0, quota.AllowedPerSecond(Share));

        // A new window: the estimate of the others is high (they spent a minute's worth in 40 s), but Refly keeps a floor.
        time.Advance(TimeSpan.FromSeconds(1.5));
        var allowed = quota.AllowedPerSecond(Share);
        Assert.InRange(allowed, KlaviyoSharedQuota.FloorFraction * Limit / 60 * 0.999, _alonePerMinute / 60);
    }

    [Fact]
    public void HeaderLimit_ReplacesThePublishedOne()
    {
        var quota = new KlaviyoSharedQuota(Limit, new FakeTimeProvider());

        quota.RecordAnswer(quota.RecordSent(), HttpStatusCode.OK, new KlaviyoRateLimitState(1500, 1499, 60), null);

        Assert.Equal(1500, quota.Snapshot(Share).LimitPerMinute);
        var share = Share * 1500 * (1 - KlaviyoSharedQuota.Margin) / 60;
        Assert.InRange(quota.AllowedPerSecond(Share), share * 0.99, share);
    }

    [Fact]
    public void AnswerOfThePreviousWindow_ArrivingLate_DoesNotRestartTheWindow()
    {
        var time = new FakeTimeProvider();
        var quota = new KlaviyoSharedQuota(Limit, time);
        var late = quota.RecordSent();
        quota.RecordAnswer(quota.RecordSent(), HttpStatusCode.OK, new KlaviyoRateLimitState(Limit, 700, 1), null);
        time.Advance(TimeSpan.FromSeconds(1));
        quota.RecordAnswer(quota.RecordSent(), HttpStatusCode.OK, new KlaviyoRateLimitState(Limit, 749, 60), null);
        var before = quota.Snapshot(Share);

        // Counted in the old window (Reset 1, almost nothing left), answered after the new window's first answer.
        quota.RecordAnswer(late, HttpStatusCode.OK, new KlaviyoRateLimitState(Limit, 20, 1), null);

        Assert.Equal(before.AllowedPerMinute, quota.Snapshot(Share).AllowedPerMinute, 6);
    }

    /// <summary>
    /// Klaviyo's account as the headers describe it, stepped every 10 ms: fixed one-minute windows aligned to the
    /// simulation's start, other integrations sending evenly at <c>othersPerMinute(t)</c>, and Refly sending as fast as
    /// <see cref="KlaviyoSharedQuota.AllowedPerSecond"/> says, each request answered 50 ms later with the window's state.
    /// </summary>
    private sealed class AccountSimulation(Func<double, double> othersPerMinute, double share = Share)
    {
        private static readonly TimeSpan _step = TimeSpan.FromMilliseconds(10);
        private static readonly TimeSpan _latency = TimeSpan.FromMilliseconds(50);
        private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));
        private readonly List<(long Ticket, double At)> _inFlight = [];

        public KlaviyoSharedQuota Quota { get; private set; } = null!;

        public List<WindowCount> Windows { get; } = [];

        public int Throttled { get; private set; }

        public int OthersThrottled { get; private set; }

        public void Run(TimeSpan duration)
        {
            Quota = new KlaviyoSharedQuota(Limit, _time);
            double ownCredit = 0, othersCredit = 0;
            for (var t = 0.0; t < duration.TotalSeconds; t += _step.TotalSeconds)
            {
                var window = Window(t);
                othersCredit += othersPerMinute(t) / 60 * _step.TotalSeconds;
                for (; othersCredit >= 1; othersCredit--)
                {
                    if (window.Refly + window.Others < Limit)
                    {
                        window.Others++;
                    }
                    else
                    {
                        OthersThrottled++;
                    }
                }

                // Answers: Klaviyo counted each request when it arrived (half the latency after it left).
                foreach (var (ticket, at) in _inFlight.Where(r => r.At + _latency.TotalSeconds <= t + 1e-9).ToList())
                {
                    _inFlight.Remove((ticket, at));
                    var counted = Window(at + (_latency.TotalSeconds / 2));
                    if (counted.Refly + counted.Others >= Limit)
                    {
                        Throttled++;
                        Quota.RecordAnswer(ticket, HttpStatusCode.TooManyRequests, null, TimeSpan.FromSeconds(Math.Ceiling(counted.Start + 60 - t)));
                        continue;
                    }

                    counted.Refly++;
                    var reset = (int)Math.Ceiling(counted.Start + 60 - (at + (_latency.TotalSeconds / 2)));
                    Quota.RecordAnswer(ticket, HttpStatusCode.OK, new KlaviyoRateLimitState(Limit, Limit - counted.Refly - counted.Others, reset), null);
                }

                ownCredit = Math.Min(8, ownCredit + (Quota.AllowedPerSecond(share) * _step.TotalSeconds));
                if (t < Quota.PausedUntil)
                {
                    ownCredit = 0;
                }

                for (; ownCredit >= 1; ownCredit--)
                {
                    _inFlight.Add((Quota.RecordSent(), t));
                }

                _time.Advance(_step);
            }
        }

        private WindowCount Window(double t)
        {
            var start = Math.Floor(t / 60) * 60;
            var window = Windows.LastOrDefault(w => w.Start == start);
            if (window is null)
            {
                window = new WindowCount(start);
                Windows.Add(window);
            }

            return window;
        }
    }

    private sealed class WindowCount(double start)
    {
        public double Start { get; } = start;

        public int Refly { get; set; }

        public int Others { get; set; }
    }
}
