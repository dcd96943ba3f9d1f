using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Refly.KlaviyoSandbox.JsonApi;

/// <summary>Opaque page cursors: the position in the result's stable order, base64url-encoded so clients don't build them.</summary>
public static class PageCursor
{
    private const string Prefix = "rfly1:";

    public static string Encode(long position) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(Prefix + position.ToString(CultureInfo.InvariantCulture)));

    public static long Decode(string cursor)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            if (text.StartsWith(Prefix, StringComparison.Ordinal) &&
                long.TryParse(text.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var position))
            {
                return position;
            }
        }
        catch (FormatException)
        {
            // Falls through to Klaviyo's invalid cursor answer.
        }
        throw KlaviyoApiException.InvalidParameter("page[cursor]", $"'{cursor}' is not a valid page cursor.");
    }
}
