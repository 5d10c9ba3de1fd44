//! Linking a person's own second device (`Purpose::OwnDevice`) over real iroh
//! endpoints on loopback: the transfer reaches the new device only after both people
//! said yes, its "done" comes back, and a link can never complete as a partner
//! pairing (nor the reverse), whatever prefix the invite text was given.

use kintsugi_crypto::Secret32;
use kintsugi_net::pair::{self, MAX_TRANSFER, PendingPairing};
use kintsugi_net::{Invitation, Invite, NetConfig, NetError, NetworkMode, Node, Offer, Purpose};

async fn node(seed: u8) -> Node {
    let cfg = NetConfig {
        mode: NetworkMode::Direct,
        bind: ([127, 0, 0, 1], 0).into(),
        relay: None,
    };
    Node::spawn(&Secret32::from_bytes([seed; 32]), &cfg)
        .await
        .unwrap()
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn make_offer(host: &Node, purpose: Purpose) -> Offer {
    let addr = host.addr().with_addrs(
        host.direct_addrs()
            .into_iter()
            .map(kintsugi_net::iroh_transport),
    );
    Offer::with_purpose(&addr, now_secs() + 60, purpose).unwrap()
}

/// Hosts a link offer on `a`, joins it from `b` through the offer's text (as a QR
/// code would carry it), and returns (inviter's, joiner's) pending link.
async fn link(a: &Node, b: &Node) -> (PendingPairing, PendingPairing) {
    let offer = Offer::new_link(
        &a.addr().with_addrs(
            a.direct_addrs()
                .into_iter()
                .map(kintsugi_net::iroh_transport),
        ),
        now_secs() + 60,
    )
    .unwrap();
    let text = offer.to_text();
    assert!(text.starts_with("KINTSUGI-LINK:"), "{text}");
    let invitation = Invitation::from_text(&text).unwrap();
    assert_eq!(invitation, offer.invitation());
    assert_eq!(invitation.purpose, Purpose::OwnDevice);
    let hosting = pair::start_host(a, &offer, "Ari's phone").unwrap();
    let (hosted, joined) = tokio::join!(
        hosting.wait(),
        pair::join_invitation(b, &invitation, "Ari's laptop")
    );
    let (hosted, joined) = (hosted.unwrap(), joined.unwrap());
    assert_eq!(hosted.sas(), joined.sas());
    assert_eq!(hosted.purpose(), Purpose::OwnDevice);
    assert_eq!(joined.purpose(), Purpose::OwnDevice);
    assert_eq!(hosted.partner(), b.id());
    assert_eq!(joined.partner(), a.id());
    (hosted, joined)
}

/// Both say yes; the inviter records nothing here, but could between its two steps.
/// Returns what each side ended with.
async fn round_trip(
    a: &Node,
    b: &Node,
    transfer: &[u8],
) -> (pair::LinkSent, zeroize::Zeroizing<Vec<u8>>) {
    let (hosted, joined) = link(a, b).await;
    let inviter = async {
        let agreed = hosted.confirm_link(true).await.unwrap();
        // Here the caller writes its record of the new device, before anything leaves.
        assert_eq!(agreed.device(), b.id());
        assert_eq!(agreed.name(), "Ari's laptop");
        assert!(!agreed.addrs().is_empty());
        agreed.send(transfer).await.unwrap()
    };
    let joiner = async {
        let received = joined.confirm_link_receive(true).await.unwrap();
        assert_eq!(received.inviter, a.id());
        assert_eq!(received.name, "Ari's phone");
        // Here the new device stores what it received, before it says so.
        let transfer = received.transfer;
        received.finish.done().await.unwrap();
        transfer
    };
    tokio::join!(inviter, joiner)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_hands_the_transfer_over_and_hears_it_was_stored() {
    let (a, b) = (node(21).await, node(22).await);
    let (sent, got) = round_trip(&a, &b, b"...transfer...").await;
    assert_eq!(&got[..], b"...transfer...");
    assert!(
        sent.done,
        "the inviter did not hear the new device's LinkDone"
    );
    assert_eq!(sent.device, b.id());
    assert_eq!(sent.name, "Ari's laptop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_largest_transfer_fits_and_a_larger_one_is_refused_before_sending() {
    let (a, b) = (node(23).await, node(24).await);
    let big: Vec<u8> = (0..MAX_TRANSFER).map(|i| (i * 7 % 251) as u8).collect();
    let (sent, got) = round_trip(&a, &b, &big).await;
    assert_eq!(&got[..], &big[..]);
    assert!(sent.done);

    let (hosted, joined) = link(&a, &b).await;
    let inviter = async {
        let agreed = hosted.confirm_link(true).await.unwrap();
        agreed.send(&vec![1; MAX_TRANSFER + 1]).await
    };
    let (sent, received) = tokio::join!(inviter, joined.confirm_link_receive(true));
    assert!(
        matches!(sent, Err(NetError::TransferTooLarge(n)) if n == MAX_TRANSFER + 1),
        "{sent:?}"
    );
    let err = received.unwrap_err();
    assert!(matches!(err, NetError::Interrupted), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_no_on_either_side_sends_no_transfer() {
    let (a, b) = (node(25).await, node(26).await);
    // The inviter says no: it is told it declined, the new device that the other did.
    let (hosted, joined) = link(&a, &b).await;
    let (agreed, received) = tokio::join!(
        hosted.confirm_link(false),
        joined.confirm_link_receive(true)
    );
    assert!(matches!(agreed, Err(NetError::Declined)), "{agreed:?}");
    assert!(
        matches!(received, Err(NetError::PartnerDeclined)),
        "{received:?}"
    );

    // The new device says no: the inviter never gets to send.
    let (hosted, joined) = link(&a, &b).await;
    let (agreed, received) = tokio::join!(
        hosted.confirm_link(true),
        joined.confirm_link_receive(false)
    );
    assert!(
        matches!(agreed, Err(NetError::PartnerDeclined)),
        "{agreed:?}"
    );
    assert!(matches!(received, Err(NetError::Declined)), "{received:?}");
}

/// An invite whose text was given the other prefix: the joiner's MAC is made under
/// the other purpose's label, so the inviter refuses it and keeps its invite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_invite_never_pairs_as_a_partner_invite_nor_the_reverse() {
    let (a, b) = (node(27).await, node(28).await);

    // A partner invite read as a link one.
    let offer = make_offer(&a, Purpose::Partner);
    let forged = offer.to_text().replacen("KINTSUGI:", "KINTSUGI-LINK:", 1);
    let forged = Invitation::from_text(&forged).unwrap();
    assert_eq!(forged.purpose, Purpose::OwnDevice);
    let hosting = pair::start_host(&a, &offer, "Ari").unwrap().wait();
    tokio::pin!(hosting);
    let err = tokio::select! {
        r = pair::join_invitation(&b, &forged, "Bea") => r.unwrap_err(),
        r = &mut hosting => panic!("the host finished on a forged join: {:?}", r.map(|p| p.sas().to_string())),
    };
    assert!(matches!(err, NetError::LinkRejected), "{err}");
    assert!(
        !offer.is_used(),
        "a join of the wrong kind burned the invite"
    );
    // The invite still pairs, as what it is.
    let (hosted, joined) = tokio::join!(&mut hosting, pair::join(&b, offer.invite(), "Bea"));
    let (hosted, joined) = (hosted.unwrap(), joined.unwrap());
    assert_eq!(hosted.purpose(), Purpose::Partner);
    assert_eq!(hosted.sas(), joined.sas());
    let (x, y) = tokio::join!(hosted.confirm(true), joined.confirm(true));
    assert_eq!(x.unwrap().partner, b.id());
    assert_eq!(y.unwrap().partner, a.id());

    // A link invite read as a partner one.
    let offer = make_offer(&a, Purpose::OwnDevice);
    let text = offer.to_text();
    assert!(matches!(
        Invite::from_text(&text),
        Err(NetError::WrongInviteKind(Purpose::OwnDevice))
    ));
    let forged = Invite::from_text(&text.replacen("KINTSUGI-LINK:", "KINTSUGI:", 1)).unwrap();
    let hosting = pair::start_host(&a, &offer, "Ari's phone").unwrap().wait();
    tokio::pin!(hosting);
    let err = tokio::select! {
        r = pair::join(&b, &forged, "Bea") => r.unwrap_err(),
        r = &mut hosting => panic!("the host finished on a forged join: {:?}", r.map(|p| p.sas().to_string())),
    };
    assert!(matches!(err, NetError::InviteRejected), "{err}");
    assert!(
        !offer.is_used(),
        "a join of the wrong kind burned the invite"
    );
    let invitation = offer.invitation();
    let (hosted, joined) = tokio::join!(
        &mut hosting,
        pair::join_invitation(&b, &invitation, "Ari's laptop")
    );
    assert_eq!(hosted.unwrap().sas(), joined.unwrap().sas());
}

/// Confirming a pending attempt as the other kind (or the other role) is an error,
/// never a success, and the other side is not left waiting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirming_as_the_wrong_kind_fails() {
    let (a, b) = (node(29).await, node(30).await);

    let (hosted, joined) = link(&a, &b).await;
    let (paired, received) = tokio::join!(hosted.confirm(true), joined.confirm_link_receive(true));
    assert!(matches!(paired, Err(NetError::Protocol(_))), "{paired:?}");
    assert!(
        received.is_err(),
        "the new device received a link its inviter refused"
    );

    let (hosted, joined) = link(&a, &b).await;
    let (agreed, received) = tokio::join!(hosted.confirm_link(true), joined.confirm_link(true));
    assert!(
        matches!(received, Err(NetError::Protocol(_))),
        "{received:?}"
    );
    assert!(
        agreed.is_err(),
        "the inviter agreed with a joiner that refused"
    );

    let offer = make_offer(&a, Purpose::Partner);
    let hosting = pair::start_host(&a, &offer, "Ari").unwrap();
    let (hosted, joined) = tokio::join!(hosting.wait(), pair::join(&b, offer.invite(), "Bea"));
    let (hosted, joined) = (hosted.unwrap(), joined.unwrap());
    let (agreed, paired) = tokio::join!(hosted.confirm_link(true), joined.confirm(true));
    assert!(matches!(agreed, Err(NetError::Protocol(_))), "{agreed:?}");
    assert!(
        paired.is_err(),
        "the joiner paired with an inviter that refused"
    );
}
