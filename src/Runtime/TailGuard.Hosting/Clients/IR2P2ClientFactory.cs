using System.Diagnostics.CodeAnalysis;

namespace TailGuard.Hosting;

/// <summary>
/// Resolves a typed R2P2 client by the name it was registered under
/// (<see cref="TailGuardServiceCollectionExtensions.AddR2P2Client{TClient}"/>), in the style of
/// <c>IHttpClientFactory</c> and named options: two clients of the same <typeparamref name="TClient"/> to two services
/// are told apart by name. The same clients are also keyed services (<c>[FromKeyedServices("orders")]</c>).
/// </summary>
/// <typeparam name="TClient">The typed client.</typeparam>
public interface IR2P2ClientFactory<TClient>
    where TClient : class
{
    /// <summary>Returns the client registered under <paramref name="name"/> (the same instance on every call; created, with its socket and receive loop, on the first).</summary>
    /// <param name="name">The name given to <c>AddR2P2Client</c>.</param>
    /// <returns>The client.</returns>
    /// <exception cref="System.InvalidOperationException">No <typeparamref name="TClient"/> is registered under that name (the message lists the names that are).</exception>
    [SuppressMessage("Naming", "CA1716:Identifiers should not match keywords", Justification = "The named-options style (IOptionsMonitor<T>.Get(name)) this factory follows.")]
    TClient Get(string name);
}
