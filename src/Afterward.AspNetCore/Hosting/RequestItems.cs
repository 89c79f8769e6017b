using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Afterward.AspNetCore.Hosting;

/// <summary>Reads the per-request <see cref="AfterwardKeys"/> from <c>HttpContext.Items</c> without creating it.</summary>
internal static class RequestItems
{
    public static void Apply(HttpContext context, Transaction transaction, Application host)
    {
        // Only look when something already used Items: reading HttpContext.Items would allocate it on every request.
        if (context.Features.Get<IItemsFeature>()?.Items is not { Count: > 0 } items)
        {
            return;
        }

        if (Flag(items, AfterwardKeys.SetBackgroundTask, transaction) is { } background)
        {
            transaction.SetKind(background ? TransactionKind.Background : TransactionKind.Web);
        }

        if (Flag(items, AfterwardKeys.IgnoreTransaction, transaction) is { } ignore)
        {
            transaction.SetIgnored(ignore);
        }

        if (Flag(items, AfterwardKeys.SuppressApdex, transaction) is { } suppress)
        {
            transaction.SetApdexSuppressed(suppress);
        }

        if (items.TryGetValue(AfterwardKeys.AppName, out object? appName) && appName is not null)
        {
            if (appName is string name && ApplicationRegistry.TryGetForRequest(name.Trim(), host, out Application? application))
            {
                transaction.Application = application;
            }
            else
            {
                Warn(transaction.Application, AfterwardKeys.AppName, appName,
                    $"a non-empty application name (a string) of at most 255 characters without control characters, at most {ApplicationRegistry.MaxApplications} applications per process");
            }
        }
    }

    /// <summary>true/false, or null when absent or invalid (invalid values are logged once).</summary>
    internal static bool? Flag(IDictionary<object, object?> items, string key, Transaction transaction)
    {
        if (!items.TryGetValue(key, out object? value) || value is null)
        {
            return null;
        }

        bool? parsed = Parse(value);
        if (parsed is null)
        {
            Warn(transaction.Application, key, value, "a bool or one of on/true/1/off/false/0");
        }

        return parsed;
    }

    internal static bool? Parse(object value)
    {
        if (value is bool flag)
        {
            return flag;
        }

        if (value is not string text)
        {
            return null;
        }

        ReadOnlySpan<char> trimmed = text.AsSpan().Trim();
        if (trimmed.Equals("on", StringComparison.OrdinalIgnoreCase) || trimmed.Equals("true", StringComparison.OrdinalIgnoreCase) || trimmed.SequenceEqual("1"))
        {
            return true;
        }

        if (trimmed.Equals("off", StringComparison.OrdinalIgnoreCase) || trimmed.Equals("false", StringComparison.OrdinalIgnoreCase) || trimmed.SequenceEqual("0"))
        {
            return false;
        }

        return null;
    }

    /// <summary>A value as it is logged: its text, at most 100 characters; a <c>ToString</c> that throws is named as such.</summary>
    internal static string Display(object value)
    {
        string text;
        try
        {
            text = value.ToString() ?? string.Empty;
        }
        catch (Exception)
        {
            return "(its ToString() threw)";
        }

        return text.Length > 100 ? text[..100] + "…" : text;
    }

    private static void Warn(Application application, string key, object value, string expected)
    {
        string text = Display(value);

        application.LogOnce("items:" + key, text, (Text: text, Type: value.GetType().Name, Key: key, Expected: expected), static (app, state) =>
            AspNetCoreLog.InvalidItemValue(app.Logger, state.Key, "'" + state.Text + "'", state.Type, state.Expected));
    }
}
