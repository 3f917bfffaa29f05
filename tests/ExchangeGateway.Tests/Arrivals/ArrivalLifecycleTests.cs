using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Arrivals;
using ExchangeGateway.Server.Storage;

namespace ExchangeGateway.Tests.Arrivals;

public sealed class ArrivalLifecycleTests
{
    private static (ArrivalEntity Arrival, TravellerEntity Traveller) Make(ArrivalState state, ArrivalKind kind = ArrivalKind.FamilyReunification,
        RegistrationStatus registration = RegistrationStatus.NotReported, string? bsn = null, bool checkedIn = false)
    {
        var traveller = new TravellerEntity
        {
            ArrivalId = "a",
            VNumber = "1234567890",
            RegistrationStatus = registration,
            Bsn = bsn,
            CheckedInAt = checkedIn ? DateTime.UtcNow : null,
        };
        var arrival = new ArrivalEntity
        {
            Id = "a",
            CaseReference = "c",
            MunicipalityCode = "0363",
            AnnouncedBy = "coa",
            Details = [],
            Kind = kind,
            State = state,
            Travellers = [traveller],
        };
        return (arrival, traveller);
    }

    [Theory]
    [InlineData(ArrivalState.Announced, TravellerState.Expected)]
    [InlineData(ArrivalState.AwaitingConsent, TravellerState.Expected)]
    [InlineData(ArrivalState.Acknowledged, TravellerState.Expected)]
    [InlineData(ArrivalState.Departed, TravellerState.Expected)]
    [InlineData(ArrivalState.Arrived, TravellerState.RegistrationDue)]
    [InlineData(ArrivalState.Cancelled, TravellerState.Cancelled)]
    [InlineData(ArrivalState.ConsentRefused, TravellerState.Cancelled)]
    public void StateOf_FollowsTheArrival(ArrivalState arrivalState, TravellerState expected)
    {
        var (arrival, traveller) = Make(arrivalState);

        Assert.Equal(expected, ArrivalLifecycle.StateOf(arrival, traveller));
    }

    [Theory]
    [InlineData(RegistrationStatus.Pending, null, false, TravellerState.RegistrationPending)]
    [InlineData(RegistrationStatus.Refused, null, false, TravellerState.RegistrationRefused)]
    [InlineData(RegistrationStatus.Registered, null, true, TravellerState.Registered)]
    [InlineData(RegistrationStatus.Registered, "999996708", false, TravellerState.BsnAssigned)]
    [InlineData(RegistrationStatus.Registered, "999996708", true, TravellerState.Completed)]
    public void StateOf_ArrivedNareiziger_NeedsBsnAndCheckIn(RegistrationStatus registration, string? bsn, bool checkedIn, TravellerState expected)
    {
        var (arrival, traveller) = Make(ArrivalState.Arrived, registration: registration, bsn: bsn, checkedIn: checkedIn);

        Assert.Equal(expected, ArrivalLifecycle.StateOf(arrival, traveller));
        Assert.Equal(expected == TravellerState.Completed, ArrivalLifecycle.IsComplete(arrival));
    }

    [Fact]
    public void IsComplete_StatusHolderWithBsn_NeedsNoCheckIn()
    {
        var (arrival, traveller) = Make(ArrivalState.Arrived, ArrivalKind.StatusHolderHousing, RegistrationStatus.Registered, "999996708");

        Assert.True(ArrivalLifecycle.IsComplete(arrival));
        Assert.Equal(TravellerState.Completed, ArrivalLifecycle.StateOf(arrival, traveller));
    }

    [Theory]
    [InlineData(ArrivalState.Completed, false)]
    [InlineData(ArrivalState.Cancelled, false)]
    [InlineData(ArrivalState.ConsentRefused, false)]
    [InlineData(ArrivalState.AwaitingConsent, true)]
    [InlineData(ArrivalState.Arrived, true)]
    public void IsOpen_ClosedStatesAreFinal(ArrivalState state, bool open) => Assert.Equal(open, ArrivalLifecycle.IsOpen(state));
    [Theory]
    [InlineData(ArrivalState.Unspecified, ArrivalState.Announced)]
    [InlineData(ArrivalState.Announced, ArrivalState.AwaitingConsent)]
    [InlineData(ArrivalState.AwaitingConsent, ArrivalState.Acknowledged)]
    [InlineData(ArrivalState.Acknowledged, ArrivalState.Announced)]
    [InlineData(ArrivalState.Departed, ArrivalState.Arrived)]
    public void Enter_AllowedTransition_SetsTheState(ArrivalState from, ArrivalState to)
    {
        var (arrival, _) = Make(from);

        ArrivalLifecycle.Enter(arrival, to);

        Assert.Equal(to, arrival.State);
    }

    [Theory]
    [InlineData(ArrivalState.Arrived, ArrivalState.Completed)]
    [InlineData(ArrivalState.Announced, ArrivalState.Cancelled)]
    [InlineData(ArrivalState.AwaitingConsent, ArrivalState.ConsentRefused)]
    public void Enter_StateThatClosesTheArrival_ThrowsAndKeepsTheState(ArrivalState from, ArrivalState to)
    {
        var (arrival, _) = Make(from);

        var error = Assert.Throws<InvalidOperationException>(() => ArrivalLifecycle.Enter(arrival, to));

        Assert.Contains("CloseAsync", error.Message, StringComparison.Ordinal);
        Assert.Equal(from, arrival.State);
    }

    [Fact]
    public async Task CloseAsync_OpenState_ThrowsAndKeepsTheState()
    {
        var (arrival, _) = Make(ArrivalState.Departed);

        await Assert.ThrowsAsync<InvalidOperationException>(() => ArrivalLifecycle.CloseAsync(null!, arrival, ArrivalState.Arrived));

        Assert.Equal(ArrivalState.Departed, arrival.State);
    }

    [Theory]
    [InlineData(ArrivalState.Completed, ArrivalState.Announced)]
    [InlineData(ArrivalState.Cancelled, ArrivalState.Departed)]
    [InlineData(ArrivalState.ConsentRefused, ArrivalState.Announced)]
    [InlineData(ArrivalState.Announced, ArrivalState.Arrived)]
    [InlineData(ArrivalState.Departed, ArrivalState.Announced)]
    public void Enter_TransitionNotInTheTable_ThrowsAndKeepsTheState(ArrivalState from, ArrivalState to)
    {
        var (arrival, _) = Make(from);

        Assert.Throws<InvalidOperationException>(() => ArrivalLifecycle.Enter(arrival, to));

        Assert.Equal(from, arrival.State);
    }

    [Fact]
    public void Allows_EveryState_OpenOnesLeadSomewhereAndClosedOnesNowhere()
    {
        var states = Enum.GetValues<ArrivalState>();
        foreach (var state in states.Where(s => s != ArrivalState.Unspecified))
        {
            Assert.Equal(ArrivalLifecycle.IsOpen(state), states.Any(to => ArrivalLifecycle.Allows(state, to)));
        }
        // The acknowledgement's statement changes the state outside the table's Enter: the table allows it.
        Assert.True(ArrivalLifecycle.Allows(ArrivalState.Announced, ArrivalState.Acknowledged));
    }
}
