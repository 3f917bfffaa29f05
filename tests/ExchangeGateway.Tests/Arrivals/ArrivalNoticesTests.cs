using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Arrivals;
using ExchangeGateway.Server.Feed;
using ExchangeGateway.Tests.Shared;
using static ExchangeGateway.Server.Arrivals.ArrivalNotices;

namespace ExchangeGateway.Tests.Arrivals;

/// <summary>Who is told what: the README's notice table and the routing table are the same, and a
/// notice without a row is refused rather than sent somewhere by default.</summary>
public sealed class ArrivalNoticesTests
{
    /// <summary>Routed by rules of their own (the escalation's kind; a report's three views).</summary>
    private static readonly string[] OwnRouting = ["nl.asielketen.escalatie", "nl.asielketen.onaangekondigde-aankomst"];

    [Fact]
    public void Audiences_TheReadmeNoticeTable_SameRecipientsForEveryType()
    {
        var readme = ReadmeRows();
        var table = ArrivalNotices.Audiences.ToDictionary(r => NoticeTypes.Of(r.Key), r => r.Value.Order().ToArray(), StringComparer.Ordinal);

        Assert.Equal(readme.Keys.Except(OwnRouting).Order(StringComparer.Ordinal), table.Keys.Order(StringComparer.Ordinal));
        foreach (var (type, audiences) in table)
        {
            Assert.True(audiences.SequenceEqual(readme[type]), $"{type}: README says {string.Join(", ", readme[type])}, the table {string.Join(", ", audiences)}");
        }
    }

    [Fact]
    public void Tell_NoticeWithoutARow_Throws()
    {
        var write = new Server.Storage.ChangeContext(Server.Identity.Caller.Gateway("00000099000000000000"), DateTime.UtcNow, null!);

        Assert.Throws<InvalidOperationException>(() => ArrivalNotices.Tell(write, "a", "0363", new Notice { EscalationRaised = new EscalationRaised() }));
    }

    /// <summary>The rows of the README's table "| type | to | when |", types spelled out.</summary>
    private static Dictionary<string, Audience[]> ReadmeRows()
    {
        var lines = File.ReadAllLines(Path.Combine(TestRepository.Root(), "README.md"));
        var start = Array.FindIndex(lines, l => l == "| type | to | when |");
        Assert.True(start >= 0, "the README's notice table");
        var rows = new Dictionary<string, Audience[]>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(start + 2).TakeWhile(l => l.StartsWith('|')))
        {
            var cells = line.Split('|').Select(c => c.Trim()).ToArray();
            var to = cells[2].Split(',').Select(c => c.Trim()).Select(c => c switch
            {
                "municipality" => Audience.Municipality,
                "COA" => Audience.Coa,
                "IND" => Audience.Ind,
                "chain coordination" => Audience.Chain,
                _ => (Audience)(-1),
            }).Order().ToArray();
            foreach (var type in cells[1].Split('/').Select(t => t.Trim().Trim('`')))
            {
                rows[type.StartsWith("nl.", StringComparison.Ordinal) ? type : "nl.asielketen." + type] = to;
            }
        }
        return rows;
    }
}
