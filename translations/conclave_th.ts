<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="th_TH" sourcelanguage="en_US">
<context>
    <name>Health</name>
    <message>
        <source>passing</source>
        <translation>ปกติ</translation>
    </message>
    <message>
        <source>warning</source>
        <translation>เตือน</translation>
    </message>
    <message>
        <source>critical</source>
        <translation>วิกฤต</translation>
    </message>
    <message>
        <source>no checks</source>
        <translation>ไม่มีการตรวจสอบ</translation>
    </message>
</context>
<context>
    <name>conclave::gui::ApiClient</name>
    <message>
        <source>the agent could not be reached: %1</source>
        <translation>ติดต่อเอเจนต์ไม่ได้: %1</translation>
    </message>
    <message>
        <source>the agent answered %1: %2</source>
        <translation>เอเจนต์ตอบกลับ %1: %2</translation>
    </message>
    <message>
        <source>the value is %1 KiB; the agent accepts at most %2 KiB</source>
        <translation>ค่านี้มีขนาด %1 KiB แต่เอเจนต์รับได้ไม่เกิน %2 KiB</translation>
    </message>
    <message>
        <source>the value is %L1 bytes; the agent accepts at most %L2 bytes (%3 KiB)</source>
        <translation>ค่านี้มีขนาด %L1 ไบต์ แต่เอเจนต์รับได้ไม่เกิน %L2 ไบต์ (%3 KiB)</translation>
    </message>
    <message>
        <source>the key %1 has a path segment &quot;.&quot; or &quot;..&quot;, which HTTP rewrites into another key; it cannot be read or written from the viewer</source>
        <translation>คีย์ %1 มีส่วนของพาธที่เป็น &quot;.&quot; หรือ &quot;..&quot; ซึ่ง HTTP จะเปลี่ยนเป็นคีย์อื่น จึงอ่านหรือเขียนคีย์นี้จากตัวแสดงผลไม่ได้</translation>
    </message>
</context>
<context>
    <name>conclave::gui::ConflictDialog</name>
    <message>
        <source>Conflicting change</source>
        <translation>การแก้ไขชนกัน</translation>
    </message>
    <message>
        <source>Someone changed &lt;b&gt;%1&lt;/b&gt; while you were editing it (it is now at index %2). Nothing was saved. Compare the two versions and choose.</source>
        <translation>มีผู้อื่นแก้ไข &lt;b&gt;%1&lt;/b&gt; ระหว่างที่คุณกำลังแก้ไขอยู่ (ตอนนี้อยู่ที่ดัชนี %2) ยังไม่มีการบันทึกใด ๆ โปรดเปรียบเทียบทั้งสองฉบับแล้วเลือก</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt; was deleted while you were editing it. Nothing was saved.</source>
        <translation>&lt;b&gt;%1&lt;/b&gt; ถูกลบระหว่างที่คุณกำลังแก้ไขอยู่ ยังไม่มีการบันทึกใด ๆ</translation>
    </message>
    <message>
        <source>Your version</source>
        <translation>ฉบับของคุณ</translation>
    </message>
    <message>
        <source>Stored version (index %1)</source>
        <translation>ฉบับที่บันทึกไว้ (ดัชนี %1)</translation>
    </message>
    <message>
        <source>Stored version (deleted)</source>
        <translation>ฉบับที่บันทึกไว้ (ถูกลบแล้ว)</translation>
    </message>
    <message>
        <source>Overwrite with mine</source>
        <translation>เขียนทับด้วยฉบับของฉัน</translation>
    </message>
    <message>
        <source>Take stored version</source>
        <translation>ใช้ฉบับที่บันทึกไว้</translation>
    </message>
    <message>
        <source>Keep editing</source>
        <translation>แก้ไขต่อ</translation>
    </message>
</context>
<context>
    <name>conclave::gui::ConnectDialog</name>
    <message>
        <source>Connect to an agent</source>
        <translation>เชื่อมต่อกับเอเจนต์</translation>
    </message>
    <message>
        <source>Conclave follows one agent's view of the cluster live. Any agent of the cluster will do.</source>
        <translation>Conclave แสดงภาพคลัสเตอร์แบบสดตามมุมมองของเอเจนต์หนึ่งตัว จะใช้เอเจนต์ตัวใดในคลัสเตอร์ก็ได้</translation>
    </message>
    <message>
        <source>&amp;Address:</source>
        <translation>ที่&amp;อยู่:</translation>
    </message>
    <message>
        <source>ACL &amp;token:</source>
        <translation>&amp;โทเคน ACL:</translation>
    </message>
    <message>
        <source>optional</source>
        <translation>ไม่บังคับ</translation>
    </message>
    <message>
        <source>Connect</source>
        <translation>เชื่อมต่อ</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>ยกเลิก</translation>
    </message>
    <message>
        <source>Enter host:port, for example 127.0.0.1:8500</source>
        <translation>ป้อน โฮสต์:พอร์ต เช่น 127.0.0.1:8500</translation>
    </message>
</context>
<context>
    <name>conclave::gui::HealthModel</name>
    <message>
        <source>Node</source>
        <translation>โหนด</translation>
    </message>
    <message>
        <source>Service</source>
        <translation>บริการ</translation>
    </message>
    <message>
        <source>Check</source>
        <translation>การตรวจสอบ</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>สถานะ</translation>
    </message>
    <message>
        <source>Output</source>
        <translation>ผลลัพธ์</translation>
    </message>
    <message>
        <source>Last change</source>
        <translation>เปลี่ยนล่าสุด</translation>
    </message>
    <message>
        <source>%1 (index %2)</source>
        <translation>%1 (ดัชนี %2)</translation>
    </message>
    <message>
        <source>index %1</source>
        <translation>ดัชนี %1</translation>
    </message>
</context>
<context>
    <name>conclave::gui::HealthView</name>
    <message>
        <source>Filter by node, service, check or output</source>
        <translation>กรองตามโหนด บริการ การตรวจสอบ หรือผลลัพธ์</translation>
    </message>
    <message>
        <source>All states</source>
        <translation>ทุกสถานะ</translation>
    </message>
</context>
<context>
    <name>conclave::gui::KvEditor</name>
    <message>
        <source>Not valid JSON (line %1, column %2): %3</source>
        <translation>JSON ไม่ถูกต้อง (บรรทัด %1 คอลัมน์ %2): %3</translation>
    </message>
    <message>
        <source>Not valid hex: '%1' is not a hex digit</source>
        <translation>เลขฐานสิบหกไม่ถูกต้อง: '%1' ไม่ใช่เลขฐานสิบหก</translation>
    </message>
    <message>
        <source>Not valid hex: odd number of digits</source>
        <translation>เลขฐานสิบหกไม่ถูกต้อง: จำนวนหลักเป็นเลขคี่</translation>
    </message>
    <message>
        <source>Filter keys</source>
        <translation>กรองคีย์</translation>
    </message>
    <message>
        <source>New key</source>
        <translation>คีย์ใหม่</translation>
    </message>
    <message>
        <source>Rename</source>
        <translation>เปลี่ยนชื่อ</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>ลบ</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>ข้อความ</translation>
    </message>
    <message>
        <source>JSON</source>
        <translation>JSON</translation>
    </message>
    <message>
        <source>Hex</source>
        <translation>ฐานสิบหก</translation>
    </message>
    <message>
        <source>Revert</source>
        <translation>ย้อนกลับ</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>บันทึก</translation>
    </message>
    <message>
        <source>No key selected</source>
        <translation>ยังไม่ได้เลือกคีย์</translation>
    </message>
    <message>
        <source>Pick a key in the tree, or create one.</source>
        <translation>เลือกคีย์จากแผนผังทางซ้าย หรือสร้างคีย์ใหม่</translation>
    </message>
    <message>
        <source>new key</source>
        <translation>คีย์ใหม่</translation>
    </message>
    <message>
        <source>ModifyIndex %1 · flags %2 · %3 bytes</source>
        <translation>ModifyIndex %1 · แฟล็ก %2 · %3 ไบต์</translation>
    </message>
    <message>
        <source>edited</source>
        <translation>แก้ไขแล้ว</translation>
    </message>
    <message numerus="yes">
        <source>Folder %1: %n key(s)</source>
        <translation>
            <numerusform>โฟลเดอร์ %1: %n คีย์</numerusform></translation>
    </message>
    <message>
        <source>This key changed on the agent (index %1) since you opened it; saving will ask what to do.</source>
        <translation>คีย์นี้ถูกเปลี่ยนบนเอเจนต์ (ดัชนี %1) หลังจากที่คุณเปิดไว้ เมื่อบันทึกจะถามว่าต้องการทำอย่างไร</translation>
    </message>
    <message>
        <source>This key was deleted on the agent since you opened it.</source>
        <translation>คีย์นี้ถูกลบบนเอเจนต์หลังจากที่คุณเปิดไว้</translation>
    </message>
    <message>
        <source>This value is binary; it can only be shown as hex.</source>
        <translation>ค่านี้เป็นข้อมูลไบนารี แสดงได้เฉพาะแบบฐานสิบหก</translation>
    </message>
    <message>
        <source>This value is not JSON: %1</source>
        <translation>ค่านี้ไม่ใช่ JSON: %1</translation>
    </message>
    <message>
        <source>The value is %1 KiB; the agent accepts at most %2 KiB. Nothing was sent.</source>
        <translation>ค่านี้มีขนาด %1 KiB แต่เอเจนต์รับได้ไม่เกิน %2 KiB จึงยังไม่ได้ส่งสิ่งใด</translation>
    </message>
    <message>
        <source>The value is %L1 bytes; the agent accepts at most %L2 bytes (%3 KiB). Nothing was sent.</source>
        <translation>ค่านี้มีขนาด %L1 ไบต์ แต่เอเจนต์รับได้ไม่เกิน %L2 ไบต์ (%3 KiB) จึงยังไม่ได้ส่งสิ่งใด</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>กำลังบันทึก…</translation>
    </message>
    <message>
        <source>Saved %1 (index %2).</source>
        <translation>บันทึก %1 แล้ว (ดัชนี %2)</translation>
    </message>
    <message>
        <source>Not saved: %1 changed on the agent meanwhile.</source>
        <translation>ไม่ได้บันทึก: %1 ถูกเปลี่ยนบนเอเจนต์ในระหว่างนั้น</translation>
    </message>
    <message>
        <source>Loaded the stored version (index %1).</source>
        <translation>โหลดฉบับที่บันทึกไว้แล้ว (ดัชนี %1)</translation>
    </message>
    <message numerus="yes">
        <source>Delete %1 and everything under it (%n key(s))?</source>
        <translation>
            <numerusform>ลบ %1 และทุกอย่างภายใต้นั้น (%n คีย์) หรือไม่?</numerusform></translation>
    </message>
    <message>
        <source>Delete the key %1?</source>
        <translation>ลบคีย์ %1 หรือไม่?</translation>
    </message>
    <message>
        <source>Not deleted: %1 changed on the agent meanwhile.</source>
        <translation>ไม่ได้ลบ: %1 ถูกเปลี่ยนบนเอเจนต์ในระหว่างนั้น</translation>
    </message>
    <message>
        <source>Deleted %1.</source>
        <translation>ลบ %1 แล้ว</translation>
    </message>
    <message>
        <source>Not renamed: %1 already exists.</source>
        <translation>ไม่ได้เปลี่ยนชื่อ: มี %1 อยู่แล้ว</translation>
    </message>
    <message>
        <source>Copied to %1, but %2 changed meanwhile and was kept.</source>
        <translation>คัดลอกไปที่ %1 แล้ว แต่ %2 ถูกเปลี่ยนในระหว่างนั้นจึงยังเก็บไว้</translation>
    </message>
    <message>
        <source>Renamed %1 to %2.</source>
        <translation>เปลี่ยนชื่อ %1 เป็น %2 แล้ว</translation>
    </message>
    <message>
        <source>Key (use / to make folders):</source>
        <translation>คีย์ (ใช้ / เพื่อสร้างโฟลเดอร์):</translation>
    </message>
    <message>
        <source>Rename key</source>
        <translation>เปลี่ยนชื่อคีย์</translation>
    </message>
    <message>
        <source>New name for %1:</source>
        <translation>ชื่อใหม่ของ %1:</translation>
    </message>
</context>
<context>
    <name>conclave::gui::KvTreeModel</name>
    <message>
        <source>Key</source>
        <translation>คีย์</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>ขนาด</translation>
    </message>
    <message>
        <source>Modify index</source>
        <translation>ดัชนีการแก้ไข</translation>
    </message>
    <message numerus="yes">
        <source>%n item(s)</source>
        <translation>
            <numerusform>%n รายการ</numerusform></translation>
    </message>
</context>
<context>
    <name>conclave::gui::MainWindow</name>
    <message>
        <source>About Conclave</source>
        <translation>เกี่ยวกับ Conclave</translation>
    </message>
    <message>
        <source>Conclave viewer %1
A live view of a Conclave (Consul-compatible) cluster.</source>
        <translation>Conclave viewer %1
มุมมองแบบสดของคลัสเตอร์ Conclave (ใช้งานร่วมกับ Consul ได้)</translation>
    </message>
    <message>
        <source>Conclave</source>
        <translation>Conclave</translation>
    </message>
    <message>
        <source>Conclave — %1</source>
        <translation>Conclave — %1</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;ไฟล์</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;มุมมอง</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>&amp;ภาษา</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;ช่วยเหลือ</translation>
    </message>
    <message>
        <source>&amp;Connect…</source>
        <translation>&amp;เชื่อมต่อ…</translation>
    </message>
    <message>
        <source>&amp;Disconnect</source>
        <translation>&amp;ตัดการเชื่อมต่อ</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;ออก</translation>
    </message>
    <message>
        <source>&amp;Topology</source>
        <translation>&amp;โทโพโลยี</translation>
    </message>
    <message>
        <source>&amp;Health</source>
        <translation>&amp;สุขภาพระบบ</translation>
    </message>
    <message>
        <source>&amp;Key/Value</source>
        <translation>&amp;คีย์/ค่า</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>ภาษาของระบบ</translation>
    </message>
    <message>
        <source>&amp;About Conclave</source>
        <translation>&amp;เกี่ยวกับ Conclave</translation>
    </message>
    <message>
        <source>Search nodes, addresses and services</source>
        <translation>ค้นหาโหนด ที่อยู่ และบริการ</translation>
    </message>
    <message>
        <source>Tag</source>
        <translation>แท็ก</translation>
    </message>
    <message>
        <source>Show only nodes in this state (combine several)</source>
        <translation>แสดงเฉพาะโหนดในสถานะนี้ (เลือกได้หลายสถานะ)</translation>
    </message>
    <message>
        <source>Topology</source>
        <translation>โทโพโลยี</translation>
    </message>
    <message>
        <source>Health</source>
        <translation>สุขภาพระบบ</translation>
    </message>
    <message>
        <source>Key/Value</source>
        <translation>คีย์/ค่า</translation>
    </message>
    <message>
        <source>Not connected</source>
        <translation>ยังไม่ได้เชื่อมต่อ</translation>
    </message>
    <message>
        <source>Connecting to %1…</source>
        <translation>กำลังเชื่อมต่อกับ %1…</translation>
    </message>
    <message>
        <source>Connected to %1</source>
        <translation>เชื่อมต่อกับ %1 แล้ว</translation>
    </message>
    <message>
        <source>Reconnecting to %1…</source>
        <translation>กำลังเชื่อมต่อใหม่กับ %1…</translation>
    </message>
    <message>
        <source>Reconnecting: %1</source>
        <translation>กำลังเชื่อมต่อใหม่: %1</translation>
    </message>
    <message numerus="yes">
        <source>%n node(s)</source>
        <translation>
            <numerusform>%n โหนด</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n service(s)</source>
        <translation>
            <numerusform>%n บริการ</numerusform></translation>
    </message>
    <message>
        <source>Connected to %1 · resumed from index %2 without reloading</source>
        <translation>เชื่อมต่อกับ %1 แล้ว · ทำต่อจากดัชนี %2 โดยไม่ต้องโหลดใหม่</translation>
    </message>
    <message>
        <source>Connected to %1 · reloaded: the agent no longer had every change since index %2</source>
        <translation>เชื่อมต่อกับ %1 แล้ว · โหลดใหม่แล้ว: เอเจนต์ไม่มีการเปลี่ยนแปลงครบทุกรายการตั้งแต่ดัชนี %2 แล้ว</translation>
    </message>
</context>
<context>
    <name>conclave::gui::NodeDetail</name>
    <message>
        <source>alive</source>
        <translation>ทำงานอยู่</translation>
    </message>
    <message>
        <source>leaving</source>
        <translation>กำลังออก</translation>
    </message>
    <message>
        <source>left</source>
        <translation>ออกแล้ว</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>ล้มเหลว</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>ไม่ทราบ</translation>
    </message>
    <message>
        <source>Address:</source>
        <translation>ที่อยู่:</translation>
    </message>
    <message>
        <source>Datacenter:</source>
        <translation>ดาต้าเซ็นเตอร์:</translation>
    </message>
    <message>
        <source>Node ID:</source>
        <translation>รหัสโหนด:</translation>
    </message>
    <message>
        <source>Gossip:</source>
        <translation>Gossip:</translation>
    </message>
    <message>
        <source>Meta</source>
        <translation>เมตาดาตา</translation>
    </message>
    <message>
        <source>Services</source>
        <translation>บริการ</translation>
    </message>
    <message>
        <source>Checks</source>
        <translation>การตรวจสอบ</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>คีย์</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>ค่า</translation>
    </message>
    <message>
        <source>Service</source>
        <translation>บริการ</translation>
    </message>
    <message>
        <source>ID</source>
        <translation>รหัส</translation>
    </message>
    <message>
        <source>Port</source>
        <translation>พอร์ต</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>แท็ก</translation>
    </message>
    <message>
        <source>Check</source>
        <translation>การตรวจสอบ</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>สถานะ</translation>
    </message>
    <message>
        <source>Output</source>
        <translation>ผลลัพธ์</translation>
    </message>
    <message>
        <source>Select a node</source>
        <translation>เลือกโหนด</translation>
    </message>
    <message>
        <source>%1 (gone)</source>
        <translation>%1 (หายไปแล้ว)</translation>
    </message>
    <message>
        <source>leader</source>
        <translation>ผู้นำ</translation>
    </message>
    <message>
        <source>server</source>
        <translation>เซิร์ฟเวอร์</translation>
    </message>
    <message>
        <source>not a member of this agent's pool</source>
        <translation>ไม่ได้เป็นสมาชิกในกลุ่มของเอเจนต์นี้</translation>
    </message>
</context>
<context>
    <name>conclave::gui::TopologyModel</name>
    <message>
        <source>Name</source>
        <translation>ชื่อ</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>ที่อยู่</translation>
    </message>
    <message>
        <source>Health</source>
        <translation>สุขภาพระบบ</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>แท็ก</translation>
    </message>
    <message numerus="yes">
        <source>%n node(s)</source>
        <translation>
            <numerusform>%n โหนด</numerusform></translation>
    </message>
    <message>
        <source>leader: %1</source>
        <translation>ผู้นำ: %1</translation>
    </message>
    <message>
        <source>%1 (leader)</source>
        <translation>%1 (ผู้นำ)</translation>
    </message>
    <message>
        <source>%1 (server)</source>
        <translation>%1 (เซิร์ฟเวอร์)</translation>
    </message>
    <message>
        <source>Node %1 in %2, %3</source>
        <translation>โหนด %1 ใน %2, %3</translation>
    </message>
</context>
<context>
    <name>conclave::gui::TopologyView</name>
    <message>
        <source>leader</source>
        <translation>ผู้นำ</translation>
    </message>
    <message>
        <source>server</source>
        <translation>เซิร์ฟเวอร์</translation>
    </message>
    <message numerus="yes">
        <source>+%n more</source>
        <translation>
            <numerusform>อีก %n</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%1 — %2
%n service(s)</source>
        <translation>
            <numerusform>%1 — %2
%n บริการ</numerusform></translation>
    </message>
    <message>
        <source>Datacenter %1</source>
        <translation>ดาต้าเซ็นเตอร์ %1</translation>
    </message>
    <message numerus="yes">
        <source>%n node(s)</source>
        <translation>
            <numerusform>%n โหนด</numerusform></translation>
    </message>
    <message>
        <source>leader %1</source>
        <translation>ผู้นำ %1</translation>
    </message>
</context>
<context>
    <name>conclave::gui::WsAgentLink</name>
    <message>
        <source>the agent closed the stream: %1</source>
        <translation>เอเจนต์ปิดสตรีม: %1</translation>
    </message>
    <message>
        <source>the connection to %1 was lost</source>
        <translation>การเชื่อมต่อกับ %1 ขาดหาย</translation>
    </message>
    <message>
        <source>%1 — retrying in %2 s</source>
        <translation>%1 — จะลองใหม่ใน %2 วินาที</translation>
    </message>
    <message>
        <source>connection refused: is an agent running on %1?</source>
        <translation>การเชื่อมต่อถูกปฏิเสธ: มีเอเจนต์ทำงานอยู่ที่ %1 หรือไม่?</translation>
    </message>
    <message>
        <source>host not found: check the address %1</source>
        <translation>ไม่พบโฮสต์: โปรดตรวจสอบที่อยู่ %1</translation>
    </message>
    <message>
        <source>%1 did not answer in time</source>
        <translation>%1 ไม่ตอบสนองภายในเวลาที่กำหนด</translation>
    </message>
    <message>
        <source>the agent at %1 closed the connection</source>
        <translation>เอเจนต์ที่ %1 ปิดการเชื่อมต่อ</translation>
    </message>
    <message>
        <source>network unreachable for %1</source>
        <translation>เครือข่ายไปไม่ถึง %1</translation>
    </message>
    <message>
        <source>%1 answers HTTP but has no viewer stream (is it a Conclave agent?)</source>
        <translation>%1 ตอบ HTTP แต่ไม่มีสตรีมสำหรับตัวแสดงผล (เป็นเอเจนต์ Conclave หรือไม่?)</translation>
    </message>
    <message>
        <source>cannot reach %1: %2</source>
        <translation>ติดต่อ %1 ไม่ได้: %2</translation>
    </message>
</context>
</TS>