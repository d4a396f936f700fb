// A stand-in for `conclave agent`, just enough to test AgentProcess without the real binary:
// logs Consul's HTTP line for a QTcpServer on the requested port and answers every request with
// "<METHOD> <path>\n<body>" (404 for paths under /missing), one request per connection.
// Extra flags drive the failure paths: -fake-exit (exit 3 at once), -fake-silent (never log).

#include <QCoreApplication>
#include <QHostAddress>
#include <QTcpServer>
#include <QTcpSocket>

#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace {

void onTerm(int)
{
    _exit(0);  // async-signal-safe, and a clean code is all the tests look at
}

void serve(QTcpSocket *socket)
{
    QByteArray buffer;
    QObject::connect(socket, &QTcpSocket::readyRead, socket, [socket, buffer]() mutable {
        buffer += socket->readAll();
        const qsizetype headerEnd = buffer.indexOf("\r\n\r\n");
        if (headerEnd < 0)
            return;
        qsizetype contentLength = 0;
        for (const QByteArray &line : buffer.left(headerEnd).split('\n')) {
            if (line.toLower().startsWith("content-length:"))
                contentLength = line.mid(15).trimmed().toLongLong();
        }
        if (buffer.size() < headerEnd + 4 + contentLength)
            return;
        const QList<QByteArray> requestLine = buffer.left(buffer.indexOf("\r\n")).split(' ');
        const QByteArray method = requestLine.value(0);
        const QByteArray path = requestLine.value(1);
        const QByteArray body = method + ' ' + path + '\n' + buffer.mid(headerEnd + 4, contentLength);
        const QByteArray status = path.startsWith("/missing") ? "404 Not Found" : "200 OK";
        socket->write("HTTP/1.1 " + status + "\r\nX-Consul-Index: 7\r\nContent-Type: text/plain\r\n"
                      "Connection: close\r\nContent-Length: " + QByteArray::number(body.size())
                      + "\r\n\r\n" + body);
        socket->disconnectFromHost();
    });
    QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
}

}  // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    std::signal(SIGTERM, onTerm);
    const QStringList args = app.arguments();
    std::fprintf(stderr, "fake agent args: %s\n", qPrintable(args.mid(1).join(QLatin1Char(' '))));
    if (args.contains(QStringLiteral("-fake-exit")))
        return 3;
    const qsizetype portFlag = args.indexOf(QStringLiteral("-http-port"));
    const quint16 port = portFlag >= 0 ? args.value(portFlag + 1).toUShort() : 8500;

    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost, port)) {
        std::fprintf(stderr, "listen failed: %s\n", qPrintable(server.errorString()));
        return 1;
    }
    QObject::connect(&server, &QTcpServer::newConnection, &server, [&server] {
        while (QTcpSocket *socket = server.nextPendingConnection())
            serve(socket);
    });
    if (!args.contains(QStringLiteral("-fake-silent"))) {
        std::fprintf(stderr, "agent: Started HTTP server on 127.0.0.1:%u (tcp)\n", server.serverPort());
        std::fprintf(stderr, "agent: Started DNS server 127.0.0.1:%u (udp)\n", 8600u);
        std::fflush(stderr);
    }
    return app.exec();
}
