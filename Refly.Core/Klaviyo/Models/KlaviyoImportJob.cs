namespace Refly.Core.Klaviyo;

public sealed record KlaviyoImportJob(
    string Id, string Status, int TotalCount, int CompletedCount, int FailedCount, DateTimeOffset? CompletedAt)
{
    public bool IsFinished => Status is "complete" or "cancelled" or "failed";
}
