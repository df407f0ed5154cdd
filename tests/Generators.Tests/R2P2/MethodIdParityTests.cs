using TailGuard.Generators.Common;
using TailGuard.Generators.R2P2;

namespace TailGuard.Generators.Tests.R2P2;

public class MethodIdParityTests
{
    [Theory]
    [InlineData("Get")]
    [InlineData("Put")]
    [InlineData("HY")]
    [InlineData("Ünïcode")]
    [InlineData("")]
    public void The_generator_and_the_runtime_hash_method_names_identically(string name)
        => Assert.Equal(TailGuard.R2P2.Stubs.MethodId.FromName(name), MethodIdHash.FromName(name));

    [Theory]
    [InlineData("IKeyValue", "KeyValue")]
    [InlineData("Clock", "Clock")]
    [InlineData("Io", "Io")]
    [InlineData("I", "I")]
    public void The_generated_type_names_drop_a_leading_I_only_before_an_upper_case_letter(string interfaceName, string baseName)
        => Assert.Equal(baseName, CSharpNames.WithoutInterfacePrefix(interfaceName));
}
