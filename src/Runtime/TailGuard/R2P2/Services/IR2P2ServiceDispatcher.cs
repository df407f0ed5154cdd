using System;

namespace TailGuard.R2P2;

/// <summary>
/// What a generated <c>{Name}Dispatcher</c> offers generic code (such as <c>TailGuard.Hosting</c>) that knows only the
/// contract <typeparamref name="TService"/> and the dispatcher's type: a way to build the dispatcher around an
/// implementation.
/// </summary>
/// <typeparam name="TService">The <see cref="R2P2ServiceAttribute"/> interface.</typeparam>
public interface IR2P2ServiceDispatcher<TService> : IR2P2ServiceHandler
    where TService : class
{
    /// <summary>Creates a dispatcher that serves calls with <paramref name="implementation"/>.</summary>
    /// <param name="implementation">The service implementation; it runs on the receiving thread.</param>
    /// <param name="handlerFailed">Told about exceptions the implementation throws (the client only sees HandlerFailed).</param>
    /// <returns>The dispatcher.</returns>
    static abstract IR2P2ServiceHandler Create(TService implementation, Action<Exception>? handlerFailed);
}
