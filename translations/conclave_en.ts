<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US" sourcelanguage="en_US">
<context>
    <name>conclave::gui::KvEditor</name>
    <message numerus="yes">
        <source>Folder %1: %n key(s)</source>
        <translation>
            <numerusform>Folder %1: %n key</numerusform><numerusform>Folder %1: %n keys</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>Delete %1 and everything under it (%n key(s))?</source>
        <translation>
            <numerusform>Delete %1 and everything under it (%n key)?</numerusform><numerusform>Delete %1 and everything under it (%n keys)?</numerusform></translation>
    </message>
</context>
<context>
    <name>conclave::gui::KvTreeModel</name>
    <message numerus="yes">
        <source>%n item(s)</source>
        <translation>
            <numerusform>%n item</numerusform><numerusform>%n items</numerusform></translation>
    </message>
</context>
<context>
    <name>conclave::gui::MainWindow</name>
    <message numerus="yes">
        <source>%n node(s)</source>
        <translation>
            <numerusform>%n node</numerusform><numerusform>%n nodes</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n service(s)</source>
        <translation>
            <numerusform>%n service</numerusform><numerusform>%n services</numerusform></translation>
    </message>
</context>
<context>
    <name>conclave::gui::TopologyModel</name>
    <message numerus="yes">
        <source>%n node(s)</source>
        <translation>
            <numerusform>%n node</numerusform><numerusform>%n nodes</numerusform></translation>
    </message>
</context>
<context>
    <name>conclave::gui::TopologyView</name>
    <message numerus="yes">
        <source>+%n more</source>
        <translation>
            <numerusform>+%n more</numerusform><numerusform>+%n more</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%1 — %2
%n service(s)</source>
        <translation>
            <numerusform>%1 — %2
%n service</numerusform><numerusform>%1 — %2
%n services</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n node(s)</source>
        <translation>
            <numerusform>%n node</numerusform><numerusform>%n nodes</numerusform></translation>
    </message>
</context>
</TS>