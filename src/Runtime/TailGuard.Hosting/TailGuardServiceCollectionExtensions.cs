using System;
using System.Diagnostics.Metrics;
using System.Linq;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TailGuard.Boundary;
using TailGuard.R2P2;

namespace TailGuard.Hosting;

/// <summary>
/// Registers TailGuard servers, clients and trust domains with dependency injection (docs/hosting.md). Each method
/// returns the <see cref="OptionsBuilder{TOptions}"/> of what it registered: bind it to configuration
/// (<c>.BindConfiguration("TailGuard:Servers:KeyValue")</c>) or configure it in code (<c>.Configure(o => ...)</c>).
/// Settings are validated when the host starts. Registering starts nothing: no socket, no thread.
/// </summary>
public static class TailGuardServiceCollectionExtensions
{
    /// <summary>
    /// Hosts an R2P2 server for the <see cref="R2P2ServiceAttribute"/> service <typeparamref name="TService"/>, served by
    /// its generated dispatcher <typeparamref name="TDispatcher"/> around the <typeparamref name="TService"/> registered
    /// in the container (register your implementation too: <c>services.AddSingleton&lt;IKeyValue, Store&gt;()</c>). The
    /// server starts with the host and stops gracefully with it (<see cref="R2P2ServerHost"/>); its metrics go to the
    /// container's <see cref="IMeterFactory"/>.
    /// </summary>
    /// <typeparam name="TService">The service contract.</typeparam>
    /// <typeparam name="TDispatcher">Its generated <c>{Name}Dispatcher</c>.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="name">The server's name (options name, key of its <see cref="R2P2ServerHost"/>, log scope); defaults to the contract's name.</param>
    /// <returns>The builder of the server's <see cref="R2P2ServerHostOptions"/>.</returns>
    /// <exception cref="InvalidOperationException">A server with this name is already registered.</exception>
    public static OptionsBuilder<R2P2ServerHostOptions> AddR2P2Server<TService, TDispatcher>(this IServiceCollection services, string? name = null)
        where TService : class
        where TDispatcher : IR2P2ServiceDispatcher<TService>
    {
        ArgumentNullException.ThrowIfNull(services);
        name ??= typeof(TService).Name;
        ThrowIfRegistered<R2P2ServerHost>(services, name, "an R2P2 server");
        AddCommon(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<R2P2ServerHostOptions>, R2P2ServerHostOptionsValidator>());
        services.AddKeyedSingleton(name, (provider, key) =>
        {
            var serverName = (string)key!;
            return new R2P2ServerHost(
                serverName,
                handlerFailed => TDispatcher.Create(ResolveImplementation<TService>(provider, serverName), handlerFailed),
                provider.GetRequiredService<IOptionsMonitor<R2P2ServerHostOptions>>(),
                provider.GetService<IMeterFactory>(),
                CreateLogger<R2P2ServerHost>(provider));
        });
        services.AddSingleton<IHostedService>(provider => provider.GetRequiredKeyedService<R2P2ServerHost>(name));
        return services.AddOptions<R2P2ServerHostOptions>(name).ValidateOnStart();
    }

    /// <summary>
    /// Registers the typed R2P2 client <typeparamref name="TClient"/> (usually the generated <c>I{Name}Client</c>) as a
    /// singleton built by <paramref name="create"/> around an <see cref="R2P2Client"/> to the configured server. The
    /// socket and receive loop are created when the client is first resolved and closed with the service provider.
    /// </summary>
    /// <typeparam name="TClient">The type consumers depend on.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="create">Builds the typed client, such as <c>client =&gt; new KeyValueClient(client)</c>.</param>
    /// <param name="name">The client's name (options name, log scope); defaults to <typeparamref name="TClient"/>'s name.</param>
    /// <returns>The builder of the client's <see cref="R2P2ClientHostOptions"/>.</returns>
    /// <exception cref="InvalidOperationException">A client with this name is already registered.</exception>
    public static OptionsBuilder<R2P2ClientHostOptions> AddR2P2Client<TClient>(this IServiceCollection services, Func<R2P2Client, TClient> create, string? name = null)
        where TClient : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(create);
        name ??= typeof(TClient).Name;
        ThrowIfRegistered<R2P2ClientConnection>(services, name, "an R2P2 client");
        AddCommon(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<R2P2ClientHostOptions>, R2P2ClientHostOptionsValidator>());
        services.AddKeyedSingleton(name, (provider, key) => new R2P2ClientConnection(
            (string)key!,
            provider.GetRequiredService<IOptionsMonitor<R2P2ClientHostOptions>>(),
            provider.GetService<IMeterFactory>(),
            CreateLogger<R2P2ClientConnection>(provider)));
        services.AddKeyedSingleton<R2P2Client>(name, static (provider, key) => provider.GetRequiredKeyedService<R2P2ClientConnection>(key).Client);
        services.AddSingleton(provider => create(provider.GetRequiredKeyedService<R2P2ClientConnection>(name).Client));
        return services.AddOptions<R2P2ClientHostOptions>(name).ValidateOnStart();
    }

    /// <summary>
    /// Runs <typeparamref name="TService"/> (a <see cref="TrustDomainAttribute"/> interface) in a trust domain created,
    /// sealed and attested when the host starts and revoked when it stops, and registers the generated proxy as
    /// <typeparamref name="TService"/>: consumers call the domain through it. The host-side
    /// <see cref="TrustDomainHost{TService}"/> (attestation, monitor) is registered too.
    /// </summary>
    /// <typeparam name="TService">The trust-domain contract.</typeparam>
    /// <typeparam name="TBinding">Its generated <c>{Name}Boundary</c>.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="createImplementation">Builds the implementation that lives inside the domain.</param>
    /// <returns>The builder of the domain's <see cref="TrustDomainOptions"/> (named after <typeparamref name="TService"/>).</returns>
    /// <exception cref="InvalidOperationException"><typeparamref name="TService"/> already runs in a domain.</exception>
    public static OptionsBuilder<TrustDomainOptions> AddTrustDomain<TService, TBinding>(this IServiceCollection services, Func<IServiceProvider, TService> createImplementation)
        where TService : class
        where TBinding : ITrustDomainBinding<TService>
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(createImplementation);
        var name = typeof(TService).Name;
        if (services.Any(static descriptor => descriptor.ServiceType == typeof(TrustDomainHost<TService>)))
        {
            throw new InvalidOperationException($"{typeof(TService)} already runs in a trust domain; register each contract once.");
        }

        AddCommon(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TrustDomainOptions>, TrustDomainOptionsValidator>());
        services.AddSingleton(provider =>
        {
            var logger = CreateLogger<TrustDomainLifetime<TService>>(provider);
            var settings = provider.GetRequiredService<IOptionsMonitor<TrustDomainOptions>>().Get(name);
            try
            {
                var host = TrustDomainHost.Create<TService, TBinding>(createImplementation(provider), new TrustDomainHostOptions { Core = settings.Core });
                Log.DomainCreated(logger, name, host.Core, Convert.ToHexStringLower(host.Attestation.Measurement.Span));
                return host;
            }
            catch (Exception exception)
            {
                Log.DomainStartFailed(logger, name, exception.Message);
                throw;
            }
        });
        services.AddSingleton(static provider => provider.GetRequiredService<TrustDomainHost<TService>>().Proxy);
        services.AddSingleton<IHostedService, TrustDomainLifetime<TService>>();
        return services.AddOptions<TrustDomainOptions>(name).ValidateOnStart();
    }

    private static void AddCommon(IServiceCollection services) => services.AddOptions();

    private static ILogger CreateLogger<TCategory>(IServiceProvider provider)
        => (ILogger?)provider.GetService<ILoggerFactory>()?.CreateLogger<TCategory>() ?? NullLogger.Instance;

    private static TService ResolveImplementation<TService>(IServiceProvider provider, string server)
        where TService : class
        => provider.GetService<TService>()
           ?? throw new InvalidOperationException(
               $"The R2P2 server '{server}' serves {typeof(TService)}, but no implementation of it is registered: add one, such as services.AddSingleton<{typeof(TService).Name}, YourImplementation>().");

    private static void ThrowIfRegistered<TKeyed>(IServiceCollection services, string name, string what)
    {
        if (services.Any(descriptor => descriptor.IsKeyedService && descriptor.ServiceType == typeof(TKeyed) && Equals(descriptor.ServiceKey, name)))
        {
            throw new InvalidOperationException($"There is already {what} named '{name}'; give each one its own name.");
        }
    }
}
