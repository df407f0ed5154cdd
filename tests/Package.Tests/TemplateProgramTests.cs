using System;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using TailGuard.Package.Tests.Infrastructure;

namespace TailGuard.Package.Tests;

/// <summary>
/// Templates created where a user might create them: under a folder with central package management, with names that
/// are not C# type names. They still build, creation says how the code spells the name, and the programs they generate
/// fail cleanly (exit code and one line on standard error) on every bad input.
/// </summary>
[Collection(PackedPackagesCollection.Name)]
public sealed class TemplateProgramTests(PackedPackages packages)
{
    private static readonly TimeSpan s_limit = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Under_central_package_management_templates_with_odd_names_build_warning_free()
    {
        var built = await TemplatesUnderCentralPackageManagement.GetAsync(packages);

        Assert.True(built.ServiceCreated.Succeeded, built.ServiceCreated.ToString());
        Assert.True(built.DomainCreated.Succeeded, built.DomainCreated.ToString());
        Assert.True(built.ServiceBuilt.Succeeded, built.ServiceBuilt.ToString());
        Assert.True(built.DomainBuilt.Succeeded, built.DomainBuilt.ToString());

        // Paths keep the name as given; code uses it as a type name.
        string solution = File.ReadAllText(built.Workspace.Combine("my-orders", "my-orders.slnx"));
        Assert.Contains("my-orders/my-orders.csproj", solution, StringComparison.Ordinal);
        Assert.Contains("namespace My_orders;", File.ReadAllText(built.Workspace.Combine("my-orders", "my-orders", "Imy-orders.cs")), StringComparison.Ordinal);
        Assert.Contains("public interface IN2fa_keys", File.ReadAllText(built.Workspace.Combine("2fa.keys", "2fa.keys", "I2fa.keys.cs")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("my-orders", "my-orders becomes My_orders")]
    [InlineData("2fa.keys", "2fa becomes N2fa")]
    public async Task Creating_with_a_name_that_is_not_a_type_name_says_how_the_code_spells_it(string name, string message)
    {
        var built = await TemplatesUnderCentralPackageManagement.GetAsync(packages);
        DotNetResult created = name == "my-orders" ? built.ServiceCreated : built.DomainCreated;

        Assert.True(created.Succeeded, created.ToString());
        Assert.Contains("is not a C# type name as written", created.Output, StringComparison.Ordinal);
        Assert.Contains(message, created.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_type_name_creates_without_a_message()
    {
        using var workspace = new TemplateWorkspace(packages);
        Assert.True((await workspace.InstallTemplatesAsync()).Succeeded);

        var created = await workspace.NewAsync("tailguard-service", "Orders");

        Assert.True(created.Succeeded, created.ToString());
        Assert.DoesNotContain("is not a C# type name", created.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("unknown option '--bogus'", "--bogus")]
    [InlineData("unknown command 'launch'", "launch")]
    [InlineData("unexpected argument '9100'", "serve", "9100")]
    [InlineData("unknown option '--timeout-ms'", "serve", "--timeout-ms", "5")]
    [InlineData("--port needs a value", "call", "--port")]
    [InlineData("--port must be a whole number from 1 to 65535 (got '0')", "call", "--port", "0")]
    [InlineData("--timeout-ms must be a whole number from 1 to 600000 (got 'x')", "call", "--timeout-ms", "x")]
    public async Task The_service_program_rejects_a_bad_argument_with_exit_2_and_one_line(string message, params string[] arguments)
    {
        var run = await RunAsync((await TemplatesUnderCentralPackageManagement.GetAsync(packages)).ServiceProgram, arguments);

        run.AssertFailedInOneLine(2, message);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("serve", "--help")]
    [InlineData("call", "-h")]
    public async Task The_service_program_prints_its_usage_for_help(params string[] arguments)
    {
        var run = await RunAsync((await TemplatesUnderCentralPackageManagement.GetAsync(packages)).ServiceProgram, arguments);

        Assert.True(run.Succeeded, run.ToString());
        Assert.Contains("usage:", run.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Add(40, 2)", run.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_service_program_calling_a_port_where_nothing_answers_exits_1_with_one_line()
    {
        using var silent = BoundUdpPort();
        string port = ((IPEndPoint)silent.LocalEndPoint!).Port.ToString(CultureInfo.InvariantCulture);

        var run = await RunAsync((await TemplatesUnderCentralPackageManagement.GetAsync(packages)).ServiceProgram, "call", "--port", port, "--timeout-ms", "300");

        run.AssertFailedInOneLine(1, "the server did not answer in time");
    }

    [Fact]
    public async Task The_service_program_serving_on_a_port_in_use_exits_1_with_one_line()
    {
        using var taken = BoundUdpPort();
        string port = ((IPEndPoint)taken.LocalEndPoint!).Port.ToString(CultureInfo.InvariantCulture);

        var run = await RunAsync((await TemplatesUnderCentralPackageManagement.GetAsync(packages)).ServiceProgram, "serve", "--port", port);

        run.AssertFailedInOneLine(1, "socket error (AddressAlreadyInUse)");
    }

    [Fact]
    public async Task The_service_program_without_arguments_serves_and_calls_itself()
    {
        var run = await RunAsync((await TemplatesUnderCentralPackageManagement.GetAsync(packages)).ServiceProgram);

        Assert.True(run.Succeeded, run.ToString());
        Assert.Contains("Add(40, 2) = 42", run.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_domain_program_takes_only_help()
    {
        string program = (await TemplatesUnderCentralPackageManagement.GetAsync(packages)).DomainProgram;

        var help = await RunAsync(program, "--help");
        Assert.True(help.Succeeded, help.ToString());
        Assert.Contains("usage:", help.StandardOutput, StringComparison.Ordinal);

        (await RunAsync(program, "--bogus")).AssertFailedInOneLine(2, "unexpected argument '--bogus'");

        var run = await RunAsync(program);
        Assert.True(run.Succeeded, run.ToString());
        Assert.Contains("attestation verifies: True", run.StandardOutput, StringComparison.Ordinal);
    }

    private static Task<DotNetResult> RunAsync(string program, params string[] arguments)
    {
        Assert.True(File.Exists(program), program + " was not built");
        return DotNetCli.RunAsync(Path.GetDirectoryName(program)!, s_limit, [program, .. arguments]);
    }

    private static Socket BoundUdpPort()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }
}
