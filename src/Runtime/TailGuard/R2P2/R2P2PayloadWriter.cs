using System.Buffers;

namespace TailGuard.R2P2;

/// <summary>
/// Writes a request payload straight into the client's pooled send buffers. Pass a static lambda or method so the
/// delegate is cached, and the arguments as a struct <paramref name="state"/>, and a call allocates nothing.
/// </summary>
/// <typeparam name="TState">The arguments to write, usually a value tuple.</typeparam>
/// <param name="writer">The send buffers.</param>
/// <param name="state">The arguments.</param>
public delegate void R2P2PayloadWriter<TState>(IBufferWriter<byte> writer, in TState state);
