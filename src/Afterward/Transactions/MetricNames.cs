using System.Buffers;

namespace Afterward.Transactions;

/// <summary>The naming rules of transactions and segments: default group, 255-character cap, no control characters.</summary>
internal static class MetricNames
{
    public const string DefaultGroup = "Function";
    public const int MaxNameLength = 255;
    public const string Unnamed = "<unnamed>";

    private static readonly SearchValues<char> ControlCharacters = SearchValues.Create(BuildControlCharacters());

    /// <summary>Null or empty → <c>Function</c>; <c>/Group</c> → <c>Function/Group</c>; cleaned and capped.</summary>
    public static string NormalizeGroup(string? group)
    {
        if (string.IsNullOrEmpty(group))
        {
            return DefaultGroup;
        }

        string clean = Clean(group);
        if (clean.Length == 0)
        {
            return DefaultGroup;
        }

        return clean[0] == '/' ? DefaultGroup + clean : clean;
    }

    /// <summary>Removes control characters and caps at 255 characters; returns the same instance when already clean.</summary>
    public static string NormalizeName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return Unnamed;
        }

        string clean = Clean(name);
        return clean.Length == 0 ? Unnamed : clean;
    }

    private static string Clean(string value)
    {
        if (value.Length <= MaxNameLength && value.AsSpan().IndexOfAny(ControlCharacters) < 0)
        {
            return value;
        }

        var builder = new System.Text.StringBuilder(Math.Min(value.Length, MaxNameLength));
        foreach (char c in value)
        {
            if (char.IsControl(c))
            {
                continue;
            }

            builder.Append(c);
            if (builder.Length == MaxNameLength)
            {
                break;
            }
        }

        // Never end on half of a surrogate pair.
        if (builder.Length > 0 && char.IsHighSurrogate(builder[^1]))
        {
            builder.Length--;
        }

        return builder.ToString();
    }

    private static string BuildControlCharacters()
    {
        var chars = new System.Text.StringBuilder();
        for (int c = 0; c <= char.MaxValue; c++)
        {
            if (char.IsControl((char)c))
            {
                chars.Append((char)c);
            }
        }

        return chars.ToString();
    }
}
