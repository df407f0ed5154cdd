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
    /// Each registration is a keyed service under <paramref name="name"/> and is returned by
    /// <see cref="IR2P2ClientFactory{TClient}.Get"/>; <typeparamref name="TClient"/> without a key resolves to the only
    /// client of that type, and fails naming them all when there are several (register two services' clients of the
    /// same type under two names).
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
        services.AddKeyedSingleton<TClient>(name, (provider, key) => create(provider.GetRequiredKeyedService<R2P2ClientConnection>(key).Client));
        services.AddSingleton(new R2P2ClientName<TClient>(name));
        services.TryAddSingleton<R2P2ClientFactory<TClient>>();
        services.TryAddSingleton<IR2P2ClientFactory<TClient>>(static provider => provider.GetRequiredService<R2P2ClientFactory<TClient>>());
        // Unnamed, TClient is the one client of its type; with two, resolving it fails and names them (never the last one silently).
        services.TryAddSingleton<TClient>(static provider => provider.GetRequiredService<R2P2ClientFactory<TClient>>().GetDefault());
        return services.AddOptions<R2P2ClientHostOptions>(name).ValidateOnStart();
    }

    /// <summary>
    /// Runs <typeparamref name="TService"/> (a <see cref="TrustDomainAttribute"/> interface) in a trust domain created,
    /// sealed and attested when the host starts and revoked when it stops, and registers the generated proxy as
    /// <typeparamref name="TService"/>: consumers call the domain through it. The host-side
    /// <see cref="TrustDomainHost{TService}"/> (attestation, monitor) is registered too. The implementation is built
    /// in this process and handed to the domain, which the simulated backend (and a custom backend) can take; the
    /// process backend builds it inside its own process, so use
    /// <see cref="AddTrustDomain{TService, TBinding, TImplementation}"/> for it.
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
        return AddDomain<TService>(services, (provider, name, options) =>
        {
            if (options.Backend is ProcessBackend)
            {
                throw new InvalidOperationException(
                    $"Trust domain '{name}': the process backend builds the implementation inside the domain's process, so it cannot take one built here; register the domain with AddTrustDomain<{typeof(TService).Name}, {typeof(TBinding).Name}, TImplementation>() (a type with a parameterless constructor).");
            }

            return TrustDomainHost.Create<TService, TBinding>(createImplementation(provider), options);
        });
    }

    /// <summary>
    /// Runs <typeparamref name="TService"/> in a trust domain like
    /// <see cref="AddTrustDomain{TService, TBinding}(IServiceCollection, Func{IServiceProvider, TService})"/>, with the
    /// implementation <typeparamref name="TImplementation"/> built by the domain itself (inside the domain's process on
    /// the process backend): every backend can take it. The backend comes from <see cref="TrustDomainOptions.Backend"/>.
    /// </summary>
    /// <typeparam name="TService">The trust-domain contract.</typeparam>
    /// <typeparam name="TBinding">Its generated <c>{Name}Boundary</c>.</typeparam>
    /// <typeparam name="TImplementation">The implementation, built with its parameterless constructor inside the domain.</typeparam>
    /// <param name="services">The services.</param>
    /// <returns>The builder of the domain's <see cref="TrustDomainOptions"/> (named after <typeparamref name="TService"/>).</returns>
    /// <exception cref="InvalidOperationException"><typeparamref name="TService"/> already runs in a domain.</exception>
    public static OptionsBuilder<TrustDomainOptions> AddTrustDomain<TService, TBinding, TImplementation>(this IServiceCollection services)
        where TService : class
        where TBinding : ITrustDomainBinding<TService>
        where TImplementation : class, TService, new()
    {
        ArgumentNullException.ThrowIfNull(services);
        return AddDomain<TService>(services, static (_, _, options) => TrustDomainHost.Create<TService, TBinding, TImplementation>(options));
    }

    private static OptionsBuilder<TrustDomainOptions> AddDomain<TService>(
        IServiceCollection services, Func<IServiceProvider, string, TrustDomainHostOptions, TrustDomainHost<TService>> create)
        where TService : class
    {
        var name = typeof(TService).Name;
        if (services.Any(static descriptor => descriptor.ServiceType == typeof(TrustDomainHost<TService>)))
        {
            throw new InvalidOperationException($"{typeof(TService)} already runs in a trust domain; register each contract once.");
        }

        AddCommon(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TrustDomainOptions>, TrustDomainOptionsValidator>());
        services.AddSingleton<TrustDomainBackendLease<TService>>();
        services.AddSingleton(provider =>
        {
            var logger = CreateLogger<TrustDomainLifetime<TService>>(provider);
            var settings = provider.GetRequiredService<IOptionsMonitor<TrustDomainOptions>>().Get(name);
            var lease = provider.GetRequiredService<TrustDomainBackendLease<TService>>(); // resolved first: disposed after the domain
            IDisposable? owned = null;
            try
            {
                (var backend, owned) = TrustDomainBackends.Create(name, settings, provider);
                var host = create(provider, name, new TrustDomainHostOptions
                {
                    Backend = backend,
                    Core = settings.Core,
                    CoreCount = settings.CoreCount,
                    MeterFactory = provider.GetService<IMeterFactory>(),
                    Name = name,
                });
                lease.Owned = owned;
                Log.DomainCreated(logger, name, backend.Name, host.Core, Convert.ToHexStringLower(host.Attestation.Measurement.Span));
                return host;
            }
            catch (Exception exception)
            {
                owned?.Dispose();
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
