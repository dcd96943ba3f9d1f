using Refly.Core.Notifications;

namespace Refly.Core.Personalization;

/// <summary>
/// A personalization run changed state or progress. <see cref="Run"/> is the run as saved, so that views already
/// showing the campaign can update from the event instead of querying the database once per subscriber.
/// </summary>
/// <remarks>Declared with the runs, not with the notifier, so that Notifications depends on no feature.</remarks>
public sealed record RunChanged(Guid RunId, string CampaignKlaviyoId, PersonalizationRun? Run = null) : ChangeEvent;
