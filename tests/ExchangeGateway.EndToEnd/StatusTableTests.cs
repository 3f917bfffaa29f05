using ExchangeGateway.Cli.Status;
using ExchangeGateway.Contracts.V1;
using Google.Protobuf.WellKnownTypes;

namespace ExchangeGateway.EndToEnd;

/// <summary>How <c>exgw status</c> prints an overview (no gateway needed: the table is a pure function).</summary>
public sealed class StatusTableTests
{
    private static readonly DateTimeOffset AsOf = new(2026, 11, 28, 15, 0, 0, TimeSpan.Zero);

    private static MunicipalityOverview Row(string code, string name, long announced, long arrived, long cancelled, long escalations, long unannounced, long unacknowledged, TimeSpan? oldest)
    {
        var row = new MunicipalityOverview
        {
            MunicipalityCode = code,
            Name = name,
            UnacknowledgedNotices = unacknowledged,
            OldestUnacknowledgedNotice = oldest is { } age ? Timestamp.FromDateTimeOffset(AsOf - age) : null,
        };
        foreach (var (state, count) in new[] { (ArrivalState.Announced, announced), (ArrivalState.Arrived, arrived), (ArrivalState.Cancelled, cancelled) })
        {
            if (count > 0)
            {
                row.ArrivalsByState.Add(new StateCount { State = state, Count = count });
            }
        }
        if (escalations > 0)
        {
            row.OpenEscalations.Add(new EscalationCount { Kind = EscalationKind.AcknowledgementOverdue, Count = escalations });
        }
        if (unannounced > 0)
        {
            row.Unannounced.Add(new UnannouncedCount { Match = UnannouncedMatch.NotAnnounced, Count = unannounced });
        }
        return row;
    }

    [Fact]
    public void Write_Overview_PrintsAlignedRowsWithStatesPresentNationallyAndTotalsLast()
    {
        var overview = new GetOverviewResponse
        {
            AsOf = Timestamp.FromDateTimeOffset(AsOf),
            National = Row("", "", 1201, 3, 1, 4, 2, 15, TimeSpan.FromHours(26.5)),
        };
        overview.Municipalities.Add(Row("0014", "Groningen", 0, 0, 0, 0, 2, 0, null));
        overview.Municipalities.Add(Row("0363", "Amsterdam", 1200, 3, 1, 4, 0, 12, TimeSpan.FromHours(26.5)));
        overview.Municipalities.Add(Row("1900", "Súdwest-Fryslân", 1, 0, 0, 0, 0, 3, TimeSpan.FromSeconds(42)));
        var output = new StringWriter { NewLine = "\n" };

        StatusTable.Write(overview, output);

        Assert.Equal(
            """
            Chain overview as of 2026-11-28 16:00:00 (Europe/Amsterdam)

            code  name              open  announced  arrived  cancelled  escalations  unannounced  unacknowledged  oldest
            ----  ---------------  -----  ---------  -------  ---------  -----------  -----------  --------------  ------
            0014  Groningen            0          0        0          0            0            2               0
            0363  Amsterdam        1,203      1,200        3          1            4            0              12  1d 02h
            1900  Súdwest-Fryslân      1          1        0          0            0            0               3     42s
            ----  ---------------  -----  ---------  -------  ---------  -----------  -----------  --------------  ------
                  national total   1,204      1,201        3          1            4            2              15  1d 02h

            """, output.ToString());
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(59, "59s")]
    [InlineData(60, "1m")]
    [InlineData(3599, "59m")]
    [InlineData(3600 + 5 * 60, "1h 05m")]
    [InlineData(2 * 86400 + 4 * 3600, "2d 04h")]
    [InlineData(-30, "0s")]
    public void Age_Seconds_IsShortAndReadable(int seconds, string expected)
    {
        Assert.Equal(expected, StatusTable.Age(TimeSpan.FromSeconds(seconds)));
    }
}
