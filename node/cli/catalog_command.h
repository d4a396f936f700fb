#pragma once
// `conclave catalog services|nodes|datacenters`, as Consul's `consul catalog …`.
// Formatting in pure functions for tests.

#include "shared/model/types.h"

#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

namespace conclave::cli {

/// `catalog services`: names sorted, one a line; with tags, a second column of sorted,
/// comma-joined tags (tabwriter, padding 6).
QString formatCatalogServices(const QMap<QString, QStringList> &services, bool withTags);

/// `catalog nodes`: columns Node, ID (first 8 characters), Address, DC (columnize).
QString formatCatalogNodes(const QList<model::Node> &nodes);

/// The `/v1/catalog/services` body: {"name": ["tag", …]}.
QMap<QString, QStringList> catalogServicesFromBody(const QByteArray &body);

/// The `/v1/catalog/nodes` body.
QList<model::Node> catalogNodesFromBody(const QByteArray &body);

}  // namespace conclave::cli
