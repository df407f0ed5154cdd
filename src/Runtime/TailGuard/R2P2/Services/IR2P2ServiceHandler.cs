namespace TailGuard.R2P2;

/// <summary>
/// A handler that serves an <see cref="R2P2ServiceAttribute"/> service: what generated <c>{Name}Dispatcher</c>s
/// implement. The server reads <see cref="Service"/> once, to tag each request's duration and span with its method and
/// the status its response starts with, and to find a request's trace context.
/// </summary>
public interface IR2P2ServiceHandler : IR2P2Handler
{
    /// <summary>The service this handler serves.</summary>
    R2P2ServiceDescriptor Service { get; }
}
