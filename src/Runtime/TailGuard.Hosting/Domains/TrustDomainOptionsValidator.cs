using Microsoft.Extensions.Options;

namespace TailGuard.Hosting;

/// <summary>Checks a trust domain's settings when the host starts.</summary>
internal sealed class TrustDomainOptionsValidator : IValidateOptions<TrustDomainOptions>
{
    public ValidateOptionsResult Validate(string? name, TrustDomainOptions options)
        => options.Core < 0
            ? ValidateOptionsResult.Fail($"Trust domain '{name}': Core must be zero or more; it is {options.Core}.")
            : ValidateOptionsResult.Success;
}
