using System.ComponentModel;

namespace TailGuard.R2P2.Stubs;

/// <summary>
/// Turns a response into a generated client method's result. Pass a cached static method so a call allocates nothing.
/// </summary>
/// <typeparam name="TState">What the decoder needs besides the response (a destination, a capacity, or nothing).</typeparam>
/// <typeparam name="TResult">The method's result.</typeparam>
/// <param name="response">The response lease.</param>
/// <param name="state">The decoder's state.</param>
/// <returns>The result.</returns>
[EditorBrowsable(EditorBrowsableState.Never)]
public delegate TResult ResponseDecoder<TState, TResult>(in R2P2Response response, in TState state);
