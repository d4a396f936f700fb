#pragma once
// DNS message codec (RFC 1035 §4, RFC 6891 for EDNS0): decode a query packet into a Message and
// encode a Message back into wire bytes, with name compression (RFC 1035 §4.1.4) on write.
// MessageWriter, EncodedName and EncodedRecord let a caller that answers the same records again
// and again (the DNS resolver's service cache) encode them once and write them per message.
//
// Pure and stateless: no sockets, no clock. Safe to call from any thread. The reader treats every
// input as hostile: compression pointers must point strictly backwards (so loops are impossible),
// labels are at most 63 octets, names at most 255, every length is bounds-checked and RDATA must
// consume exactly RDLENGTH. It is written for the server side: exactly one question is required.
//
// Names are kept in presentation form with a trailing dot ("web.service.consul."), the root being
// "."; a '.' or '\' inside a label and non-printable octets are escaped as in zone files
// ("\.", "\\", "\DDD"), so any wire name round-trips.

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>
#include <QVarLengthArray>
#include <array>
#include <optional>

namespace conclave::net::dns {

/// RR types we know by name (RFC 1035 §3.2.2, RFC 3596, RFC 2782, RFC 6891). Others pass as numbers.
namespace type {
constexpr quint16 A = 1;
constexpr quint16 NS = 2;
constexpr quint16 CNAME = 5;
constexpr quint16 SOA = 6;
constexpr quint16 PTR = 12;
constexpr quint16 MX = 15;
constexpr quint16 TXT = 16;
constexpr quint16 AAAA = 28;
constexpr quint16 SRV = 33;
constexpr quint16 OPT = 41;
constexpr quint16 AXFR = 252;
constexpr quint16 ANY = 255;
}  // namespace type

namespace rrclass {
constexpr quint16 IN = 1;
constexpr quint16 CH = 3;
constexpr quint16 HS = 4;
constexpr quint16 NONE = 254;
constexpr quint16 ANY = 255;
}  // namespace rrclass

enum class Rcode : quint8 { NoError = 0, FormErr = 1, ServFail = 2, NxDomain = 3, NotImp = 4, Refused = 5 };

enum class Transport { Udp, Tcp };

/// RFC 1035 §4.1.1 header (counts are derived from the sections when encoding).
struct Header {
    quint16 id = 0;
    bool qr = false;
    quint8 opcode = 0;  // 0 = QUERY
    bool aa = false;
    bool tc = false;
    bool rd = false;
    bool ra = false;
    bool ad = false;  // RFC 4035 §3.2.3; dig sets it in queries
    bool cd = false;
    quint8 rcode = 0;   // low 4 bits; the EDNS extended bits live in Edns::extendedRcode
    bool operator==(const Header &) const = default;
};

struct Question {
    QString name;
    quint16 qtype = type::A;
    quint16 qclass = rrclass::IN;
    bool operator==(const Question &) const = default;
};

struct Soa {
    QString mname, rname;
    quint32 serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
    bool operator==(const Soa &) const = default;
};

struct Srv {
    quint16 priority = 0, weight = 0, port = 0;
    QString target;
    bool operator==(const Srv &) const = default;
};

/// One resource record. Which fields are meaningful depends on `type`:
/// A/AAAA → address (4/16 octets); CNAME/NS/PTR → target; SOA → soa; SRV → srv; TXT → txt;
/// anything else → rdata (raw, uncompressed on write).
struct ResourceRecord {
    QString name;
    quint16 type = type::A;
    quint16 rrClass = rrclass::IN;
    quint32 ttl = 0;
    QByteArray address;
    QString target;
    Soa soa;
    Srv srv;
    QList<QByteArray> txt;
    QByteArray rdata;
    bool operator==(const ResourceRecord &) const = default;
};

/// The OPT pseudo-RR (RFC 6891 §6.1.2), kept apart from the additional section.
struct Edns {
    quint16 udpSize = 512;
    quint8 extendedRcode = 0;
    quint8 version = 0;
    bool dnssecOk = false;
    QByteArray options;  // raw option TLVs, passed through
    bool operator==(const Edns &) const = default;
};

struct Message {
    Header header;
    QList<Question> questions;
    QList<ResourceRecord> answers;
    QList<ResourceRecord> authority;
    QList<ResourceRecord> additional;
    std::optional<Edns> edns;
    bool operator==(const Message &) const = default;
};

enum class DecodeError {
    None,
    ShortHeader,     // fewer than 12 octets: nothing to answer
    Truncated,       // a section runs past the end of the packet
    BadPointer,      // compression pointer forward, to itself, or out of bounds
    LabelTooLong,    // label > 63 octets, or a reserved label type (01/10)
    NameTooLong,     // name > 255 octets on the wire
    BadQuestionCount,
    BadClass,
    BadRdata,        // RDATA shorter/longer than its RDLENGTH, or malformed for its type
    BadOpt,          // OPT not at the root, or more than one
    TrailingData,    // octets after the last record
};

/// Result of decode(). When `message` is empty, `answerFormErr` tells the server what to do:
/// true → reply FORMERR (the header was readable and it is a query); false → stay silent (no
/// header, or the packet is itself a response: answering responses could start a loop).
struct DecodeResult {
    std::optional<Message> message;
    DecodeError error = DecodeError::None;
    bool answerFormErr = false;
    Header header;  // valid when the first 12 octets were readable
};

DecodeResult decode(const QByteArray &packet);

/// Wire bytes of `msg`. With `compress`, owner names and the names inside NS/CNAME/PTR/SOA RDATA
/// are compressed (SRV targets never are, RFC 2782). Names are encoded case-preserving.
/// An unencodable name (label > 63 or name > 255) is written as the root rather than failing.
QByteArray encode(const Message &msg, bool compress = true);

/// A name in wire form (RFC 1035 §3.1), converted once from its presentation form and written
/// any number of times through a MessageWriter. An unencodable name (a label over 63 octets, a
/// name over 255) is the root, as encode() writes it.
class EncodedName {
public:
    EncodedName() = default;  // the root
    explicit EncodedName(const QString &presentation);
    /// The labels with their length octets, without the root octet; empty for the root.
    const QByteArray &labels() const { return m_labels; }
    /// Octets on the wire uncompressed, the root octet included.
    int wireSize() const { return int(m_labels.size()) + 1; }
    bool operator==(const EncodedName &) const = default;

private:
    QByteArray m_labels;
};

/// A record's type, class, TTL and RDATA, encoded once and written under any owner name
/// (MessageWriter::record). A name inside the RDATA (CNAME, NS or PTR target, SRV target) is kept
/// apart so that it goes through the message's compression exactly as encode() writes it.
/// Not for SOA, whose RDATA holds two names.
struct EncodedRecord {
    enum class RdataName : quint8 { None, Compressed, Uncompressed };
    quint16 type = type::A;
    quint16 rrClass = rrclass::IN;
    quint32 ttl = 0;
    QByteArray rdata;  // all of the RDATA, or the part before the name
    EncodedName name;  // the name at the end of the RDATA, unless rdataName is None
    RdataName rdataName = RdataName::None;

    /// `rr` without its owner name; rr.type must not be SOA.
    static EncodedRecord from(const ResourceRecord &rr);
    /// Octets of TYPE, CLASS, TTL, RDLENGTH and RDATA when nothing is compressed.
    int uncompressedSize() const;
};

/// Writes one message in wire order (header, questions, records, OPT) with encode()'s name
/// compression; encode() is this writer run over a Message. A caller that keeps names and records
/// pre-encoded gets the very bytes encode() gives for the same records in the same order. The
/// counts written in the header are the caller's to get right. One message per writer.
class MessageWriter {
public:
    explicit MessageWriter(bool compress = true);

    void header(const Header &h, int questions, int answers, int authority, int additional);
    void question(const Question &q);
    void question(const EncodedName &name, quint16 qtype, quint16 qclass);
    void record(const ResourceRecord &rr);
    void record(const EncodedName &owner, const EncodedRecord &rr);
    void opt(const Edns &edns);

    int size() const { return int(m_out.size()); }
    QByteArray bytes() const;

private:
    // One suffix of a name written so far: its first label is at `offset` (the length octet), the
    // rest is the suffix `parent` (-1 = the root).
    struct Node {
        int parent;
        int offset;
    };

    // A name written lately: where its labels were read from, and the node of the whole name.
    struct Recent {
        const char *labels = nullptr;
        int size = 0;
        int node = -1;
    };

    void body(const EncodedRecord &rr);
    void u8(quint8 v) { m_out.append(char(v)); }
    void u16(quint16 v);
    void u32(quint32 v);
    void patch16(int at, quint16 v);
    void name(const QString &text);
    void name(const char *labels, int size, bool mayCompress);
    bool recentPath(const char *labels, int size, int *path) const;
    int findNode(int parent, const char *label) const;
    int addNode(int parent, int offset);
    void insertSlot(int node);
    void rehash(qsizetype size);

    bool m_compress;
    QVarLengthArray<char, 1024> m_out;
    QVarLengthArray<Node, 32> m_nodes;
    QVarLengthArray<int, 64> m_slots;  // open addressing, -1 = empty; a power of two in size
    std::array<Recent, 8> m_recent;
    int m_recentNext = 0;
};

/// FORMERR reply for a packet decode() rejected with answerFormErr set: same ID, opcode and RD,
/// no sections (RFC 1035 §4.1.1).
QByteArray formErrReply(const Header &queryHeader);

/// A reply to `query` that carries only the question, `rcode`, RA as given and the OPT record
/// echoed when the query had one (used for SERVFAIL after failed forwarding, NOTIMP, REFUSED).
Message errorReply(const Message &query, Rcode rcode, bool recursionAvailable);

/// Presentation name helpers. Lower-cases ASCII only (DNS case-insensitivity, RFC 4343).
QString lowerName(const QString &name);
/// Splits a presentation name into its (unescaped) labels; "." → {}.
QList<QByteArray> nameLabels(QStringView name);
/// Joins raw labels into a presentation name with escapes and the trailing dot.
QString labelsToName(const QList<QByteArray> &labels);

/// "10.0.0.1" → 4 octets, "2001:db8::1" → 16 octets; empty when not an IP literal.
QByteArray parseIpAddress(const QString &text);

}  // namespace conclave::net::dns
