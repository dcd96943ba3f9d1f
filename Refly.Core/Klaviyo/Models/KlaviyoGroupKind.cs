namespace Refly.Core.Klaviyo;

public enum KlaviyoGroupKind { List, Segment }
