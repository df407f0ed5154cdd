using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.Extensions.DependencyInjection;

namespace TailGuard.Hosting;

/// <summary>The name of one typed client registration: the factory lists them to resolve by name and to refuse an ambiguous default.</summary>
internal sealed record R2P2ClientName<TClient>(string Name)
    where TClient : class;

/// <summary>Resolves typed clients by name from their keyed registrations, with errors that list the names registered.</summary>
internal sealed class R2P2ClientFactory<TClient>(IServiceProvider provider, IEnumerable<R2P2ClientName<TClient>> registrations) : IR2P2ClientFactory<TClient>
    where TClient : class
{
    private readonly string[] _names = [.. registrations.Select(static registration => registration.Name)];

    public TClient Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!_names.Contains(name, StringComparer.Ordinal))
        {
            throw new InvalidOperationException(
                $"No R2P2 client of type {typeof(TClient)} is registered under the name '{name}'; the names registered are: {Describe()}.");
        }

        return provider.GetRequiredKeyedService<TClient>(name);
    }

    /// <summary>The client a consumer gets without a name: the only one registered; with several, an error rather than the last registration.</summary>
    public TClient GetDefault()
        => _names.Length == 1
            ? provider.GetRequiredKeyedService<TClient>(_names[0])
            : throw new InvalidOperationException(
                $"{_names.Length} R2P2 clients of type {typeof(TClient)} are registered ({Describe()}): depend on IR2P2ClientFactory<{typeof(TClient).Name}> and call Get(name), or on [FromKeyedServices(name)] {typeof(TClient).Name}.");

    private string Describe() => _names.Length == 0 ? "none" : string.Join(", ", _names.Select(static name => "'" + name + "'"));
}
