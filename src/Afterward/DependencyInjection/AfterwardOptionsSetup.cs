using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Afterward.DependencyInjection;

/// <summary>Binds the <c>Afterward</c> configuration section (before the user's delegate) and validates.</summary>
internal sealed class AfterwardOptionsSetup(IConfiguration? configuration = null) : IConfigureOptions<AfterwardOptions>, IValidateOptions<AfterwardOptions>
{
    public const string SectionName = "Afterward";

    public void Configure(AfterwardOptions options)
    {
        if (configuration is null)
        {
            return;
        }

        configuration.GetSection(SectionName).Bind(options);

        // The standard variables name the service when Afterward:AppName does not (they may come from any configuration source).
        options.AppName ??= NonEmpty(configuration[ApplicationRegistry.AppNameVariable]) ?? NonEmpty(configuration[ApplicationRegistry.ServiceNameVariable]);
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    public ValidateOptionsResult Validate(string? name, AfterwardOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail(ex.Message);
        }
    }
}
