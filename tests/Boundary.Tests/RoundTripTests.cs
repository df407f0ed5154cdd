using System;
using TailGuard.Boundary.Tests.Contracts;

namespace TailGuard.Boundary.Tests;

/// <summary>Every kind of parameter crosses through the generated proxy and entry and arrives intact.</summary>
public sealed class RoundTripTests
{
    [Theory]
    [MemberData(nameof(Backends.InProcess), MemberType = typeof(Backends))]
    public void Scalars_and_an_input_buffer_reach_the_implementation(string backend)
    {
        using var kit = new ProbeKit(backend);
        Assert.Equal(1 + 2 + 3 + 4 + 5, kit.Proxy.Add(1, 2, [3, 4, 5]));
        Assert.Equal(1, kit.Probe.Calls);
    }

    [Theory]
    [MemberData(nameof(Backends.InProcess), MemberType = typeof(Backends))]
    public void Bool_enum_struct_char_and_double_cross_by_value(string backend)
    {
        using var kit = new ProbeKit(backend);
        bool result = kit.Proxy.Describe(true, Mode.Strict, new Point(-7, long.MaxValue), 'é', 0.25);
        Assert.False(result);
        Assert.Equal((true, Mode.Strict, new Point(-7, long.MaxValue), 'é', 0.25), kit.Probe.LastDescribe);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public void An_output_buffer_comes_back_with_what_the_implementation_wrote_and_zeros_elsewhere(string backend)
    {
        using var kit = new ProbeKit(backend);
        byte[] destination = new byte[16];
        destination.AsSpan().Fill(0xEE);
        kit.Proxy.Fill(9, 4, destination);
        Assert.Equal(new byte[] { 9, 9, 9, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, destination);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public void An_in_out_buffer_goes_in_and_comes_back_changed(string backend)
    {
        using var kit = new ProbeKit(backend);
        byte[] buffer = [1, 2, 3, 4, 5];
        kit.Proxy.Reverse(buffer);
        Assert.Equal(new byte[] { 5, 4, 3, 2, 1 }, buffer);
    }

    [Theory]
    [MemberData(nameof(Backends.InProcess), MemberType = typeof(Backends))]
    public void A_span_of_ints_and_a_string_cross(string backend)
    {
        using var kit = new ProbeKit(backend);
        Assert.Equal(int.MaxValue + 10L, kit.Proxy.Sum([int.MaxValue, 4, 6]));
        Assert.Equal(5, kit.Proxy.Length("héllo"));
        Assert.Equal("héllo", kit.Probe.LastText);
    }

    [Theory]
    [MemberData(nameof(Backends.InProcess), MemberType = typeof(Backends))]
    public void The_caller_is_refused_a_buffer_longer_than_its_bound_before_anything_crosses(string backend)
    {
        using var kit = new ProbeKit(backend);
        Assert.Throws<ArgumentOutOfRangeException>(() => kit.Proxy.Add(1, 2, new byte[65]));
        Assert.Throws<ArgumentOutOfRangeException>(() => kit.Proxy.Length(new string('x', 33)));
        Assert.Throws<ArgumentException>(() => kit.Proxy.Length("a\0b"));
        Assert.Equal(0, kit.Probe.Calls);
        Assert.Equal(3, kit.Proxy.Add(1, 2, default)); // the channel is still usable
    }

    [Theory]
    [MemberData(nameof(Backends.InProcess), MemberType = typeof(Backends))]
    public void An_exception_in_the_implementation_becomes_a_status_not_a_crash(string backend)
    {
        using var kit = new ProbeKit(backend);
        kit.Probe.DuringCall = static () => throw new InvalidOperationException("inside the domain");
        var failure = Assert.Throws<BoundaryViolationException>(() => kit.Proxy.Add(1, 2, default));
        Assert.Equal(CallStatus.ImplementationFault, failure.Status);
        kit.Probe.DuringCall = null;
        Assert.Equal(3, kit.Proxy.Add(1, 2, default));
    }

    [Fact]
    public void The_host_is_attested_and_cannot_read_the_domains_private_memory()
    {
        using var kit = new ProbeKit();
        Assert.Equal(kit.Host.Domain.Id, kit.Host.Attestation.DomainId);
        Assert.Equal(kit.Monitor.GetMeasurement(kit.Host.Domain), kit.Host.Attestation.Measurement.ToArray());
        var denied = Assert.Throws<TailGuard.Tyche.MonitorException>(() => kit.Monitor.HostRead(kit.Host.Region.PrivateAddress, new byte[16]));
        Assert.Equal(TailGuard.Tyche.MonitorError.AccessDenied, denied.Error);
    }

    [Fact]
    public void The_measurement_depends_on_the_implementation_and_the_report_carries_the_callers_nonce()
    {
        // The measurement covers each region's bytes and addresses, so compare domains set up at the same addresses:
        // one per fresh monitor.
        using var monitor = new TailGuard.Tyche.Simulation.SimulatedMonitor();
        using var sameMonitor = new TailGuard.Tyche.Simulation.SimulatedMonitor();
        using var otherMonitor = new TailGuard.Tyche.Simulation.SimulatedMonitor();
        byte[] nonce = [1, 2, 3, 4, 5, 6, 7, 8];
        using TrustDomainHost<IProbe> first = ProbeBoundary.Host(new Probe(), new TrustDomainHostOptions { Monitor = monitor, Nonce = nonce });
        using TrustDomainHost<IProbe> same = ProbeBoundary.Host(new Probe(), new TrustDomainHostOptions { Monitor = sameMonitor });
        using TrustDomainHost<IProbe> other = ProbeBoundary.Host(new OtherProbe(), new TrustDomainHostOptions { Monitor = otherMonitor });

        Assert.Equal(nonce, first.Attestation.Nonce.ToArray());
        Assert.Equal(first.Attestation.Measurement.ToArray(), same.Attestation.Measurement.ToArray());
        Assert.NotEqual(first.Attestation.Measurement.ToArray(), other.Attestation.Measurement.ToArray());
        using var verifier = new TailGuard.Tyche.Attestation.AttestationVerifier(monitor.ExportPublicKey());
        Assert.True(verifier.Verify(first.EncodedAttestation, first.Attestation.Measurement.Span, nonce));
        Assert.False(verifier.Verify(first.EncodedAttestation, first.Attestation.Measurement.Span, [9, 9, 9]));
    }

    [Theory]
    [MemberData(nameof(Backends.InProcess), MemberType = typeof(Backends))]
    public void A_proxy_refuses_a_second_call_while_one_is_in_progress(string backend)
    {
        using var kit = new ProbeKit(backend);
        InvalidOperationException? nested = null;
        kit.Probe.DuringCall = () =>
        {
            var other = new System.Threading.Thread(() => nested = Record.Exception(() => kit.Proxy.Ping()) as InvalidOperationException);
            other.Start();
            Assert.True(other.Join(TimeSpan.FromSeconds(30)));
        };

        Assert.Equal(3, kit.Proxy.Add(1, 2, default));
        Assert.NotNull(nested);
        kit.Probe.DuringCall = null;
        kit.Proxy.Ping(); // released after the call
        Assert.Equal(2, kit.Probe.Calls);
    }

    private sealed class OtherProbe : IProbe
    {
        private readonly Probe _inner = new();

        public int Add(int a, long b, ReadOnlySpan<byte> data) => _inner.Add(a, b, data);

        public int Inspect(ReadOnlySpan<byte> data) => _inner.Inspect(data);

        public void Fill(byte value, int count, Span<byte> destination) => _inner.Fill(value, count, destination);

        public void Reverse(Span<byte> buffer) => _inner.Reverse(buffer);

        public long Sum(ReadOnlySpan<int> values) => _inner.Sum(values);

        public int Length(string text) => _inner.Length(text);

        public int Peek(ReadOnlySpan<byte> window) => _inner.Peek(window);

        public bool Describe(bool flag, Mode mode, Point point, char letter, double ratio) => _inner.Describe(flag, mode, point, letter, ratio);

        public void Ping() => _inner.Ping();
    }
}
