using System;
using TailGuard.Tests.Tyche.Driver;
using TailGuard.Tyche;
using TailGuard.Tyche.Driver;

namespace TailGuard.Boundary.Tests.Driver;

/// <summary>
/// The driver backend over the fake <c>/dev/tyche</c>. The domain's "binary" is a marker image; on TRANSITION the fake
/// device's CPU plays the entry loop in .NET (<see cref="EntryLoop"/>): it finds the call region, the scratch and the
/// stack only through the registers and the page tables the backend set up, as native code would, and serves the call
/// with the contract's generated entry.
/// </summary>
internal sealed class DriverKit : IDisposable
{
    /// <summary>The image: 5 000 bytes (two pages once padded), the entry loop at byte 100.</summary>
    public static readonly DriverDomainBinary Binary = new(Image(), entryOffset: 100);

    public DriverKit(TimeSpan? callTimeout = null)
    {
        Monitor = new DriverMonitor(DriverAbi.DevicePath, Device);
        Backend = new DriverBackend(Monitor, Binary) { CallTimeout = callTimeout ?? TimeSpan.FromSeconds(10) };
    }

    public FakeTycheDevice Device { get; } = new() { AttestCommitted = true };

    public DriverMonitor Monitor { get; }

    public DriverBackend Backend { get; }

    /// <summary>How many times the domain's CPU ran the entry loop.</summary>
    public int Entries { get; private set; }

    /// <summary>Runs inside the domain before each call is served (tests look at the domain's view of memory here).</summary>
    public Action<FakeCpu>? OnEntry { get; set; }

    /// <summary>A sealed, attested domain serving <paramref name="implementation"/> (it lives in this process: the fake CPU calls it).</summary>
    public TrustDomainHost<TService> Create<TService, TBinding>(TService implementation, int cores = 1)
        where TService : class
        where TBinding : ITrustDomainBinding<TService>
    {
        BoundaryEntry entry = TBinding.CreateEntry(implementation, default);
        entry.BindToDomain();
        Device.Cpu = cpu => EntryLoop(cpu, entry);
        return TrustDomainHost.Create<TService, TBinding>(implementation, new TrustDomainHostOptions { Backend = Backend, CoreCount = cores });
    }

    public void Dispose()
    {
        Backend.Dispose();
        Monitor.Dispose();
        Device.Dispose();
    }

    /// <summary>
    /// One entry of the entry loop, as docs/trust-boundary.md states its contract: it runs at RIP (executable), on the
    /// stack below RSP (writable), serves the call in [RDI, RDI + RSI) with the scratch [RDX, RDX + RCX), then switches back.
    /// </summary>
    private uint EntryLoop(FakeCpu cpu, BoundaryEntry entry)
    {
        Entries++;
        _ = cpu.Memory(cpu.Register(ContextField.GuestRip), 1, FakeCpu.Access.Execute);
        _ = cpu.Memory(cpu.Register(ContextField.GuestRsp) - 8, 8, FakeCpu.Access.Write);
        Span<byte> region = cpu.Memory(cpu.Register(ContextField.GuestRdi), (int)cpu.Register(ContextField.GuestRsi), FakeCpu.Access.Write);
        Span<byte> scratch = cpu.Memory(cpu.Register(ContextField.GuestRdx), (int)cpu.Register(ContextField.GuestRcx), FakeCpu.Access.Write);
        OnEntry?.Invoke(cpu);
        entry.ServeInPlace(region, scratch);
        return 0; // SWITCH back to the manager
    }

    private static byte[] Image()
    {
        var image = new byte[5000];
        for (int index = 0; index < image.Length; index++)
        {
            image[index] = (byte)(index * 7);
        }

        return image;
    }
}
