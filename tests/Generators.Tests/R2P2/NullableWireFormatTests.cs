using TailGuard.Generators.Tests.Properties;
using TailGuard.Generators.Tests.Regressions;

namespace TailGuard.Generators.Tests.R2P2;

/// <summary>
/// The nullable encoding exactly as docs/wire-format.md shows it for <c>int? Echo(int? value)</c>: the bytes the
/// generated client sends (seen on the in-memory network) and the bytes the generated dispatcher answers with, and a
/// presence byte other than 0 or 1 refused as malformed.
/// </summary>
[Collection(PropertyCollection.Name)]
public sealed class NullableWireFormatTests
{
    [Fact]
    public void A_nullable_value_is_a_presence_byte_then_the_value()
        => Issue20RegressionTests.CompileAndRun("""
            using TailGuard;

            namespace Wire;

            /// <summary>Echo.</summary>
            [R2P2Service]
            public interface IEcho
            {
                /// <summary>Adds one.</summary>
                /// <param name="value">A value or null.</param>
                /// <returns>The value plus one, or null.</returns>
                int? Echo(int? value);
            }
            """, """
            using System;
            using System.Buffers;
            using System.Collections.Generic;
            using System.Threading.Tasks;
            using TailGuard.R2P2;
            using TailGuard.R2P2.Simulation;
            using TgTest;

            namespace Wire;

            internal sealed class Echo : IEcho
            {
                int? IEcho.Echo(int? value) => value + 1;
            }

            internal static class TgDriver
            {
                private static byte[] Handle(byte[] request)
                {
                    var response = new ArrayBufferWriter<byte>();
                    new EchoDispatcher(new Echo()).Handle(new R2P2Request(new ReadOnlySequence<byte>(request), 1, RoutingPolicy.LoadBalanced), response);
                    return response.WrittenSpan.ToArray();
                }

                public static async Task RunAsync()
                {
                    Check.Sequence(new byte[] { 0x00, 0x01, 0x06, 0x00, 0x00, 0x00 }, Handle(new byte[] { 0xD9, 0x50, 0x01, 0x05, 0x00, 0x00, 0x00 }), "the answer to 5");
                    Check.Sequence(new byte[] { 0x00, 0x00 }, Handle(new byte[] { 0xD9, 0x50, 0x00 }), "the answer to null");
                    Check.Sequence(new byte[] { 0x03 }, Handle(new byte[] { 0xD9, 0x50, 0x02, 0x05, 0x00, 0x00, 0x00 }), "a presence byte of 2");
                    Check.Sequence(new byte[] { 0x03 }, Handle(new byte[] { 0xD9, 0x50, 0x01, 0x05 }), "a present value cut short");

                    var requests = new List<byte[]>();
                    var network = new InMemoryNetwork(seed: 2);
                    network.Observer = (source, destination, datagram) =>
                    {
                        if (destination.ToString() == "10.6.0.1:9000")
                        {
                            lock (requests)
                            {
                                requests.Add(datagram.Slice(8).ToArray()); // after the 8-byte R2P2 header
                            }
                        }
                    };
                    await using var server = new R2P2Server(network.Bind("10.6.0.1:9000"), new EchoDispatcher(new Echo()));
                    await using var r2p2 = new R2P2Client(network.Bind("10.6.0.2:0"), server.LocalAddress, new R2P2ClientOptions { Timeout = TimeSpan.FromSeconds(30) });
                    IEchoClient client = new EchoClient(r2p2);
                    Check.Same<int?>(6, await client.EchoAsync(5), "Echo(5)");
                    Check.Same<int?>(null, await client.EchoAsync(null), "Echo(null)");
                    lock (requests)
                    {
                        Check.Same(2, requests.Count, "requests sent");
                        Check.Sequence(new byte[] { 0xD9, 0x50, 0x01, 0x05, 0x00, 0x00, 0x00 }, requests[0], "the request for 5");
                        Check.Sequence(new byte[] { 0xD9, 0x50, 0x00 }, requests[1], "the request for null");
                    }
                }
            }
            """);
}
