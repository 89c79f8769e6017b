using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Afterward.DependencyInjection;

/// <summary>
/// Reads typed values from a configuration section without reflection (trimming and AOT safe): each option is
/// named, parsed with the invariant culture, and a value that does not parse is kept as an error naming the key,
/// so that validation at start fails with that message instead of the value being silently ignored.
/// </summary>
internal sealed class ConfigurationReader(IConfiguration section, string path, List<string> errors)
{
    public ConfigurationReader(IConfiguration section, string path)
        : this(section, path, [])
    {
    }

    public IReadOnlyList<string> Errors => errors;

    public ConfigurationReader Section(string name) => new(section.GetSection(name), path + ":" + name, errors);

    public string? String(string key) => section[key] is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    public void Read(string key, ref string? target)
    {
        if (String(key) is { } value)
        {
            target = value;
        }
    }

    public void Read(string key, ref int target)
    {
        if (String(key) is { } value)
        {
            if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int parsed))
            {
                target = parsed;
            }
            else
            {
                Error(key, value, "an integer");
            }
        }
    }

    public void Read(string key, ref int? target)
    {
        int value = target ?? 0;
        if (String(key) is not null)
        {
            Read(key, ref value);
            target = value;
        }
    }

    public void Read(string key, ref TimeSpan target)
    {
        if (String(key) is { } value)
        {
            if (TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out TimeSpan parsed))
            {
                target = parsed;
            }
            else
            {
                Error(key, value, "a time span such as 00:00:30");
            }
        }
    }

    public void Read(string key, ref TimeSpan? target)
    {
        TimeSpan value = target ?? TimeSpan.Zero;
        if (String(key) is not null)
        {
            Read(key, ref value);
            target = value;
        }
    }

    public void Read(string key, ref Uri? target)
    {
        if (String(key) is { } value)
        {
            if (Uri.TryCreate(value, UriKind.Absolute, out Uri? parsed))
            {
                target = parsed;
            }
            else
            {
                Error(key, value, "an absolute URI");
            }
        }
    }

    public void Read<TEnum>(string key, ref TEnum? target)
        where TEnum : struct, Enum
    {
        if (String(key) is { } value)
        {
            if (Enum.TryParse(value, ignoreCase: true, out TEnum parsed) && Enum.IsDefined(parsed))
            {
                target = parsed;
            }
            else
            {
                Error(key, value, "one of " + string.Join(", ", Enum.GetNames<TEnum>()));
            }
        }
    }

    /// <summary>The section's children as key/value pairs (for dictionaries such as headers).</summary>
    public IEnumerable<KeyValuePair<string, string>> Pairs()
    {
        foreach (IConfigurationSection child in section.GetChildren())
        {
            if (child.Value is { } value)
            {
                yield return new(child.Key, value);
            }
        }
    }

    private void Error(string key, string value, string expected) =>
        errors.Add($"Configuration {path}:{key} must be {expected}; it was '{value}'.");
}
