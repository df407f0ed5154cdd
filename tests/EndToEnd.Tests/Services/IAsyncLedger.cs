using System;
using System.Threading.Tasks;
using TailGuard;

namespace TailGuard.EndToEnd.Tests.Services;

/// <summary>
/// Asynchronous service methods (docs/r2p2-services.md, "Asynchronous methods"): each completes synchronously or later
/// as the test decides, so both of the dispatcher's paths are exercised through the generated code.
/// </summary>
[R2P2Service]
internal interface IAsyncLedger
{
    /// <summary>Adds to the balance; completes synchronously.</summary>
    ValueTask<long> AddAsync(long delta);

    /// <summary>Echoes <paramref name="value"/> when the test releases it (pending until then).</summary>
    ValueTask<int> EchoLaterAsync(int value);

    /// <summary>Completes synchronously, or later when <paramref name="later"/>.</summary>
    ValueTask TouchAsync(bool later);

    /// <summary>Fails synchronously, or later when <paramref name="later"/>.</summary>
    ValueTask<int> FailAsync(bool later);

    /// <summary>A name of <paramref name="length"/> characters, produced later; beyond 8 bytes it is an invalid result.</summary>
    [return: R2P2MaxLength(8)]
    ValueTask<string> NameLaterAsync(int length);
}
