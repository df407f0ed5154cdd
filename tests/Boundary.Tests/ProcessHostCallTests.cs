using System;
using System.Buffers.Binary;
using System.Linq;
using System.Reflection;
using System.Threading;
using TailGuard.Boundary.Tests.Contracts;
using TailGuard.Tyche.Attestation;
using Xunit.Abstractions;

namespace TailGuard.Boundary.Tests;

/// <summary>
/// [HostCalls] on the process backend (docs/trust-boundary.md, "Out-calls from a process domain"): a domain in its own
/// process calls the host through the generated proxy, the host serves each out-call from its own copy of the out-call
/// region with the generated entry (the same validation as on the simulated backend), and a hostile domain's frames are
/// refused with the status the entry gives them, counted, and never reach the host's implementation. Skipped, with the
/// reason, where the process backend cannot run (not Linux x86_64).
/// </summary>
public sealed class ProcessHostCallTests(ITestOutputHelper output)
{
    [Fact]
    public void A_process_domain_calls_the_host_and_gets_its_answers_and_its_attestation_names_the_out_call_contract()
    {
        if (!Backends.ProcessSupported(output))
        {
            return;
        }

        var storage = new Storage();
        byte[] nonce = [1, 2, 3];
        using var backend = new ProcessBackend();
        using TrustDomainHost<IReader> host = StartReader<Reader>(backend, storage, nonce);

        byte[] destination = new byte[8];
        Assert.Equal(8, host.Proxy.Fetch(10, destination));
        Assert.Equal(new byte[] { 10, 11, 12, 13, 14, 15, 16, 17 }, destination);
        Assert.Equal(1_700_000_000, host.Proxy.Time());
        Assert.Equal(1, storage.Reads); // the host's implementation ran in the host, called from the domain's process

        var domain = (ProcessDomain)host.Instance;
        Assert.Equal(2, domain.HostCallCounters!.Value.Completed);
        Assert.Equal(0, domain.UnservedOutCalls);

        using var verifier = new AttestationVerifier(backend.ExportPublicKey());
        byte[] expected = ProcessBackend.ExpectedMeasurement<IReader, ReaderBoundary, IStorage, StorageBoundary>(typeof(Reader));
        Assert.True(verifier.Verify(host.EncodedAttestation, expected, nonce));
        Assert.False(verifier.Verify(host.EncodedAttestation, ProcessBackend.ExpectedMeasurement<IReader, ReaderBoundary>(typeof(Reader)), nonce));
    }

    [Fact]
    public void Many_out_calls_in_a_row_are_each_served_once()
    {
        if (!Backends.ProcessSupported(output))
        {
            return;
        }

        var storage = new Storage();
        using var backend = new ProcessBackend();
        using TrustDomainHost<IReader> host = StartReader<Reader>(backend, storage);
        byte[] destination = new byte[64];
        for (int call = 0; call < 2000; call++)
        {
            Assert.Equal(64, host.Proxy.Fetch(call, destination));
            Assert.Equal((byte)(call + 63), destination[63]);
        }

        Assert.Equal(2000, storage.Reads);
        Assert.Equal(2000, ((ProcessDomain)host.Instance).HostCallCounters!.Value.Completed);
    }

    [Theory]
    [InlineData(HostileReader.UnknownMethod, CallStatus.UnknownMethod)]
    [InlineData(HostileReader.LengthOverBound, CallStatus.LengthOverBound)]
    [InlineData(HostileReader.HugeLength, CallStatus.LengthOverBound)]
    [InlineData(HostileReader.OffsetIntoFrame, CallStatus.BufferOutOfRange)]
    [InlineData(HostileReader.OffsetPastRegion, CallStatus.BufferOutOfRange)]
    public void A_hostile_domains_out_call_frames_are_refused_counted_and_never_reach_the_host(int attack, CallStatus refusal)
    {
        if (!Backends.ProcessSupported(output))
        {
            return;
        }

        var storage = new Storage();
        using var backend = new ProcessBackend();
        using TrustDomainHost<IReader> host = StartReader<HostileReader>(backend, storage);
        var domain = (ProcessDomain)host.Instance;
        byte[] destination = new byte[8];

        // Fetch at a negative position picks the attack; Time() makes it: one honest Read first (so the domain's copy
        // holds a real frame), then that frame rewritten.
        Assert.Equal(0, host.Proxy.Fetch(-attack, destination));
        long status = host.Proxy.Time() - HostileReader.StatusBase;
        Assert.Equal((long)refusal, status);
        Assert.Equal(1, storage.Reads); // only the honest read reached the host's implementation
        BoundaryCounters counters = domain.HostCallCounters!.Value;
        Assert.Equal(1, counters.Completed);
        Assert.Equal(1, counters.Refused);
        Assert.Equal(refusal, counters.LastStatus);

        // Nothing is corrupted: the domain and the host still serve honest calls.
        Assert.Equal(8, host.Proxy.Fetch(40, destination));
        Assert.Equal(new byte[] { 40, 41, 42, 43, 44, 45, 46, 47 }, destination);
        Assert.Equal(2, storage.Reads);
    }

    [Fact]
    public void An_out_call_published_while_no_call_is_in_flight_is_never_served_and_is_counted()
    {
        if (!Backends.ProcessSupported(output))
        {
            return;
        }

        var storage = new Storage();
        using var backend = new ProcessBackend();
        using TrustDomainHost<IReader> host = StartReader<Reader>(backend, storage);
        var domain = (ProcessDomain)host.Instance;

        // The domain's words are shared memory: write what a hostile domain would, an out-call between calls.
        domain.SharedControl(0).OutRequest = 41;
        Assert.Equal(1_700_000_000, host.Proxy.Time());
        Assert.Equal(1, domain.UnservedOutCalls);
        Assert.Equal(1, domain.HostCallCounters!.Value.Completed); // Time's own out-call only
    }

    [Fact]
    public void A_domain_without_an_out_call_contract_that_signals_one_is_not_served_and_its_call_ends_at_the_timeout()
    {
        if (!Backends.ProcessSupported(output))
        {
            return;
        }

        using var backend = new ProcessBackend(new ProcessBackendOptions { CallTimeout = TimeSpan.FromSeconds(1) });
        using TrustDomainHost<ISafe> host = TrustDomainHost.Create<ISafe, SafeBoundary, Safe>(new TrustDomainHostOptions { Backend = backend });
        var domain = (ProcessDomain)host.Instance;

        // A domain signalling an out-call it has no contract for, while it keeps the call going (Hold).
        var signal = new Thread(() =>
        {
            Thread.Sleep(100);
            Interlocked.Increment(ref domain.SharedControl(0).OutRequest);
        });
        signal.Start();
        Assert.Throws<BoundaryRevokedException>(() => host.Proxy.Hold(30_000));
        signal.Join();
        Assert.Equal(1, domain.UnservedOutCalls);
        Assert.Contains("CallTimeout", host.StopReason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_factory_form_is_refused_on_the_process_backend_and_the_typed_form_runs_on_the_simulated_one()
    {
        using var backend = new ProcessBackend();
        if (ProcessBackend.IsSupported)
        {
            var refused = Assert.Throws<NotSupportedException>(() => TrustDomainHost.Create<IReader, ReaderBoundary, IStorage, StorageBoundary>(
                proxy => new Reader(proxy), new Storage(), new TrustDomainHostOptions { Backend = backend }));
            Assert.Contains("THostCalls, THostBinding>(hostImplementation)", refused.Message, StringComparison.Ordinal);

            Assert.Throws<NotSupportedException>(() => TrustDomainHost.Create<IReader, ReaderBoundary, Reader, IStorage, StorageBoundary>(
                new Storage(), new TrustDomainHostOptions { Backend = backend, CoreCount = 2 }));
        }

        var storage = new Storage();
        using TrustDomainHost<IReader> simulated = TrustDomainHost.Create<IReader, ReaderBoundary, Reader, IStorage, StorageBoundary>(storage);
        byte[] destination = new byte[2];
        Assert.Equal(2, simulated.Proxy.Fetch(7, destination));
        Assert.Equal(new byte[] { 7, 8 }, destination);

        Assert.Throws<ArgumentException>(() => TrustDomainHost.Create<IReader, ReaderBoundary, NoHostConstructor, IStorage, StorageBoundary>(new Storage()));
    }

    private static TrustDomainHost<IReader> StartReader<TImplementation>(ProcessBackend backend, Storage storage, byte[]? nonce = null)
        where TImplementation : class, IReader
        => TrustDomainHost.Create<IReader, ReaderBoundary, TImplementation, IStorage, StorageBoundary>(
            storage, new TrustDomainHostOptions { Backend = backend, Nonce = nonce });

    /// <summary>An implementation without the constructor the typed form needs.</summary>
    private sealed class NoHostConstructor : IReader
    {
        public int Fetch(long position, Span<byte> destination) => 0;

        public long Time() => 0;
    }
}

/// <summary>
/// A hostile domain (it runs in the domain process): its Time() makes one honest Read through the generated proxy, then
/// takes the proxy's channel and sends the host a rewritten copy of that frame, and returns the status the host wrote
/// (plus <see cref="StatusBase"/>). It uses the boundary's internals, as code inside a domain can.
/// </summary>
public sealed class HostileReader(IStorage host) : IReader
{
    public const int UnknownMethod = 1;
    public const int LengthOverBound = 2;
    public const int HugeLength = 3;
    public const int OffsetIntoFrame = 4;
    public const int OffsetPastRegion = 5;
    public const long StatusBase = 1_000_000;

    private int _attack = UnknownMethod;

    public int Fetch(long position, Span<byte> destination)
    {
        if (position < 0)
        {
            _attack = (int)-position; // the test picks the attack Time() makes
            return 0;
        }

        return host.Read(position, destination);
    }

    public long Time()
    {
        Span<byte> honest = stackalloc byte[8];
        host.Read(1, honest);
        var channel = (BoundaryChannel)host.GetType()
            .GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
            .First(field => typeof(BoundaryChannel).IsAssignableFrom(field.FieldType))
            .GetValue(host)!;
        if (!channel.TryClaim(out Span<byte> region))
        {
            return -1;
        }

        try
        {
            int destination = StorageBoundary.M2_destination;
            switch (_attack)
            {
                case UnknownMethod:
                    BinaryPrimitives.WriteUInt32LittleEndian(region[CallFrame.MethodIdOffset..], 0xDEAD);
                    break;
                case LengthOverBound:
                    BinaryPrimitives.WriteUInt32LittleEndian(region[(destination + 4)..], 65);
                    break;
                case HugeLength:
                    BinaryPrimitives.WriteUInt32LittleEndian(region[(destination + 4)..], 0xFFFF_FFF8);
                    break;
                case OffsetIntoFrame:
                    BinaryPrimitives.WriteUInt32LittleEndian(region[destination..], 0);
                    break;
                case OffsetPastRegion:
                    BinaryPrimitives.WriteUInt32LittleEndian(region[destination..], 0x7FFF_FFF8);
                    break;
            }

            BinaryPrimitives.WriteInt32LittleEndian(region[CallFrame.StatusOffset..], (int)CallStatus.Pending);
            channel.Transition(region.Length);
            return StatusBase + BinaryPrimitives.ReadInt32LittleEndian(region[CallFrame.StatusOffset..]);
        }
        finally
        {
            channel.Release();
        }
    }
}
