namespace TailGuardService;

/// <summary>
/// The implementation the server runs. Its methods are hot paths: the TailGuard analyzers report any heap allocation
/// in them (try adding `new byte[16]` to Reverse and build).
/// </summary>
public sealed class TailGuardServiceHandler : ITailGuardService
{
    public long Add(long left, long right) => left + right;

    public int Reverse(ReadOnlySpan<byte> text, Span<byte> destination)
    {
        if (text.Length > destination.Length)
        {
            return -1;
        }

        text.CopyTo(destination);
        destination[..text.Length].Reverse();
        return text.Length;
    }
}
