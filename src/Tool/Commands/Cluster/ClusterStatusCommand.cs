using System;
using System.CommandLine;
using System.Text;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Tool.Cli;

namespace TailGuard.Tool.Commands.Cluster;

/// <summary>
/// <c>tailguard cluster status --members A,B,C</c>: one line per member, its answer to a status query (an R2P2 request
/// with the FIXED policy, which a replica answers at once with "node=... leader=... term=... applied=..."), or
/// "unreachable". Exits 1 when no member answered.
/// </summary>
internal static class ClusterStatusCommand
{
    public static Command Create()
    {
        var members = ToolOptions.EndPoints("--members", "The members to ask (HOST:PORT,...).");
        members.Required = true;
        var timeout = ToolOptions.Duration("--timeout", "How long to wait for each member.", TimeSpan.FromMilliseconds(500));
        var command = new Command("status", "Ask each member of a cluster for its status.");
        command.Options.Add(members);
        command.Options.Add(timeout.Option);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var answered = 0;
            foreach (var member in parse.GetValue(members)!)
            {
                var status = await QueryAsync(member, timeout.Get(parse)).ConfigureAwait(false);
                output.WriteLine($"{member}: {status ?? "unreachable"}");
                answered += status is null ? 0 : 1;
            }

            return answered > 0 ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    /// <summary>A member's status line, or null when it did not answer in time.</summary>
    public static async Task<string?> QueryAsync(System.Net.IPEndPoint member, TimeSpan timeout)
    {
        await using var client = R2P2Client.CreateUdp(member, new R2P2ClientOptions { Timeout = timeout });
        return await QueryAsync(client).ConfigureAwait(false);
    }

    /// <summary>
    /// The status line of the member <paramref name="client"/> calls (a socket made elsewhere, e.g. in another network
    /// namespace), or null; <paramref name="failed"/>, when given, is told why not.
    /// </summary>
    public static async Task<string?> QueryAsync(R2P2Client client, Action<R2P2Exception>? failed = null)
    {
        try
        {
            using var response = await client.CallAsync(ReadOnlyMemory<byte>.Empty, RoutingPolicy.Fixed).ConfigureAwait(false);
            return Encoding.UTF8.GetString(response.Payload);
        }
        catch (R2P2Exception error)
        {
            failed?.Invoke(error);
            return null;
        }
    }
}
