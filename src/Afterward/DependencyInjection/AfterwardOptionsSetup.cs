using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Afterward.DependencyInjection;

/// <summary>Binds the <c>Afterward</c> configuration section (before the user's delegate) and validates.</summary>
internal sealed class AfterwardOptionsSetup(IConfiguration? configuration = null) : IConfigureOptions<AfterwardOptions>, IValidateOptions<AfterwardOptions>
{
    public const string SectionName = "Afterward";

    public void Configure(AfterwardOptions options) => configuration?.GetSection(SectionName).Bind(options);

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
