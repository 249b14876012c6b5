"""Document preview: header details, the list of documents/attachments, and a viewer per type.

Plain text in a read-only editor; PDF through QtPdf (pages, zoom, search, copy page text);
HTML sanitised with nh3 and shown in a QTextBrowser that never loads anything remote; images
in a scroll area. A file whose bytes do not match its declared type fails gracefully with a
message. Files are opened or saved only under their *safe* filename, and risky types need an
explicit confirmation before they are handed to the OS. This widget never reads the database:
a cached message comes as its stored header plus a `FileSource` (`app.ui.backend`) that has the
small files' bytes at hand and loads the others on the read thread; a message parsed in memory
(tools, tests) brings its bytes in `MemoFile.content`.
"""

from __future__ import annotations

import logging
import tempfile
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import nh3
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication, QPixmap
from PySide6.QtPdf import QPdfDocument, QPdfSearchModel
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QStyle,
    QTabBar,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app import paths
from app.sf1606.model import MemoFile, MemoMessage
from app.ui import labels
from app.ui.header_panel import HeaderPanel
from app.ui.safe_media import decode_raster, looks_like_svg, render_svg
from app.ui.tasks import spawn

log = logging.getLogger("postfordeler.ui.preview")


class FileBytes(Protocol):
    """Where the preview gets a file's bytes (see `app.ui.backend.FileSource`)."""

    def cached(self, position: int) -> bytes | None: ...

    async def load(self, position: int) -> bytes: ...


SAFE_TO_OPEN = {"application/pdf", "text/plain", "image/png", "image/jpeg", "image/gif"}
RISKY_SUFFIXES = {
    ".exe",
    ".com",
    ".bat",
    ".cmd",
    ".scr",
    ".msi",
    ".ps1",
    ".vbs",
    ".vbe",
    ".js",
    ".jse",
    ".wsf",
    ".wsh",
    ".hta",
    ".jar",
    ".lnk",
    ".reg",
    ".dll",
    ".cpl",
    ".pif",
    ".html",
    ".htm",
    ".svg",
    ".docm",
    ".xlsm",
    ".pptm",
    ".iso",
    ".img",
    ".sh",
    ".py",
    ".appimage",
}


def visible_name(name: str) -> str:
    """A sender's file name made harmless to display: control, format (bidi overrides, zero
    width) and separator characters are shown as escapes so they cannot disguise an extension."""
    out = []
    for ch in name:
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Co", "Cs"):
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def is_risky(file: MemoFile) -> bool:
    suffix = Path(file.safe_filename).suffix.lower()
    return file.mime not in SAFE_TO_OPEN or suffix in RISKY_SUFFIXES or suffix == ""


def sanitize_html(html: str) -> str:
    """nh3 (ammonia): no script, no styles that fetch, no remote images, links kept inert."""
    return nh3.clean(
        html,
        tags={
            "p",
            "br",
            "b",
            "i",
            "u",
            "em",
            "strong",
            "ul",
            "ol",
            "li",
            "h1",
            "h2",
            "h3",
            "h4",
            "table",
            "tr",
            "td",
            "th",
            "thead",
            "tbody",
            "div",
            "span",
            "pre",
            "blockquote",
            "a",
        },
        attributes={"a": {"href"}, "td": {"colspan", "rowspan"}},
        url_schemes={"mailto"},
        link_rel="noopener noreferrer",
    )


class SafeTextBrowser(QTextBrowser):
    """A QTextBrowser that never loads resources (remote or local) and never follows links."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setSearchPaths([])

    def loadResource(self, _type: int, _name: QUrl) -> object:
        return None  # every image, style sheet and link target: nothing is ever read

    def setSource(self, *_args: object, **_kwargs: object) -> None:
        return  # never navigates to (reads) an address


class PdfViewer(QWidget):
    """QPdfView with page navigation, zoom, text search and "copy page text"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = QPdfDocument(self)
        self.search_model = QPdfSearchModel(self)
        self.search_model.setDocument(self.document)
        self._buffer: QBuffer | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.page = QSpinBox(self)
        self.page.setAccessibleName(self.tr("Side"))
        self.page.setPrefix(self.tr("Side "))
        self.page.setMinimum(1)
        self.page.valueChanged.connect(self._jump)
        self.pages_label = QLabel(self)
        self.zoom_out = QToolButton(self, text="−", toolTip=self.tr("Zoom ud (Ctrl+-)"))
        self.zoom_in = QToolButton(self, text="+", toolTip=self.tr("Zoom ind (Ctrl++)"))
        self.zoom_out.setAccessibleName(self.tr("Zoom ud"))
        self.zoom_in.setAccessibleName(self.tr("Zoom ind"))
        self.zoom_out.clicked.connect(lambda: self.zoom_by(1 / 1.25))
        self.zoom_in.clicked.connect(lambda: self.zoom_by(1.25))
        self.find = QLineEdit(self)
        self.find.setPlaceholderText(self.tr("Søg i PDF"))
        self.find.setAccessibleName(self.tr("Søg i PDF"))
        self.find.returnPressed.connect(self._search_next)
        self.hits = QLabel(self)
        self.copy = QToolButton(self, text=self.tr("Kopiér tekst"))
        self.copy.setToolTip(self.tr("Kopiér sidens tekst til udklipsholderen"))
        self.copy.clicked.connect(self.copy_page_text)
        for w in (
            self.page,
            self.pages_label,
            self.zoom_out,
            self.zoom_in,
            self.find,
            self.hits,
            self.copy,
        ):
            bar.addWidget(w)
        bar.setStretch(4, 1)
        layout.addLayout(bar)
        self.view = QPdfView(self)
        self.view.setAccessibleName(self.tr("PDF-visning"))
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        # Fit-to-width with an as-needed scrollbar can oscillate (the bar appears, the width
        # shrinks, the page fits, the bar goes, ...) and spin the event loop; keep it on.
        self.view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.view.setSearchModel(self.search_model)
        self.view.pageNavigator().currentPageChanged.connect(
            lambda p: (
                self.page.blockSignals(True),
                self.page.setValue(p + 1),
                self.page.blockSignals(False),
            )
        )
        layout.addWidget(self.view, 1)
        self._hit = -1

    def load(self, data: bytes) -> bool:
        self.document.close()
        self._buffer = QBuffer(self)
        self._buffer.setData(QByteArray(data))
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document.load(self._buffer)
        ok = self.document.status() == QPdfDocument.Status.Ready and self.document.pageCount() > 0
        count = max(1, self.document.pageCount())
        self.page.setMaximum(count)
        self.page.setValue(1)
        self.pages_label.setText(self.tr("af %1").replace("%1", str(count)))
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.find.clear()
        self.hits.clear()
        return ok

    def _jump(self, page: int) -> None:
        self.view.pageNavigator().jump(page - 1, QPointF(), self.view.pageNavigator().currentZoom())

    def zoom_by(self, factor: float) -> None:
        """Zoom the PDF by `factor` (> 1 in, < 1 out), within 25 % … 600 %."""
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(max(0.25, min(6.0, self.view.zoomFactor() * factor)))

    def _search_next(self) -> None:
        text = self.find.text()
        if text != self.search_model.searchString():
            self.search_model.setSearchString(text)
            self._hit = -1
        count = self.search_model.rowCount()
        self.hits.setText(self.tr("%n fund", "", count))
        if count:
            self._hit = (self._hit + 1) % count
            self.view.setCurrentSearchResultIndex(self._hit)
            link = self.search_model.resultAtIndex(self._hit)
            self.view.pageNavigator().jump(link)

    def copy_page_text(self) -> None:
        page = self.view.pageNavigator().currentPage()
        QGuiApplication.clipboard().setText(self.document.getAllText(page).text())


class DocumentPreview(QWidget):
    """Header panel + file list + the viewer for the selected file."""

    fileHandedOut = Signal(int, str)  # file position, "open_file" / "save_file" (access log)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message: MemoMessage | None = None
        self.source: FileBytes | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.header = HeaderPanel(self)
        top = QHBoxLayout()
        top.addWidget(self.header.toggle, 1)
        layout.addLayout(top)
        layout.addWidget(self.header)
        # The delivery state of the item's decision and its reason (the team's truth, from the
        # gateway): e.g. "Afvist af DUBU: Sagen er lukket" puts the item back in the queue.
        self.delivery = QLabel(self)
        self.delivery.setObjectName("deliveryState")
        self.delivery.setWordWrap(True)
        self.delivery.setTextFormat(Qt.TextFormat.PlainText)
        self.delivery.setAccessibleName(self.tr("Leveringstilstand"))
        self.delivery.setVisible(False)
        layout.addWidget(self.delivery)

        files_row = QHBoxLayout()
        self.files = QTabBar(self)
        self.files.setObjectName("documentList")
        self.files.setAccessibleName(self.tr("Dokumenter og bilag"))
        self.files.setExpanding(False)
        self.files.setUsesScrollButtons(True)
        self.files.setElideMode(Qt.TextElideMode.ElideNone)
        self.files.setDocumentMode(True)
        self.files.currentChanged.connect(self._show_file)
        files_row.addWidget(self.files, 1)
        self.open_button = QPushButton(self.tr("Åbn"), self)
        self.open_button.setToolTip(self.tr("Åbn filen i et andet program (Ctrl+O)"))
        self.open_button.clicked.connect(self.open_current)
        self.save_button = QPushButton(self.tr("Gem…"), self)
        self.save_button.setToolTip(self.tr("Gem filen (Ctrl+S)"))
        self.save_button.clicked.connect(self.save_current)
        top.addWidget(self.open_button)
        top.addWidget(self.save_button)
        layout.addLayout(files_row)

        self.stack = QStackedWidget(self)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setObjectName("textView")
        self.text.setAccessibleName(self.tr("Brevets tekst"))
        self.html = SafeTextBrowser(self)
        self.html.setAccessibleName(self.tr("HTML-visning"))
        self.pdf = PdfViewer(self)
        self.image = QLabel(self)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image_scroll = QScrollArea(self)
        self.image_scroll.setWidget(self.image)
        self.image_scroll.setWidgetResizable(True)
        self.notice = QLabel(self)
        self.notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.notice.setWordWrap(True)
        for w in (self.text, self.html, self.pdf, self.image_scroll, self.notice):
            self.stack.addWidget(w)
        layout.addWidget(self.stack, 1)
        self.clear()

    # ------------------------------------------------------------------ content
    def show_delivery(self, state: str, reason: str | None, follow_up: bool = False) -> None:
        """Show the delivery state of the item's decision and the reason (hidden for "ny")."""
        if state == "ny":
            self.delivery.clear()
            self.delivery.setVisible(False)
            return
        text = self.tr("Levering: %1").replace("%1", labels.delivery_label(state))
        if follow_up:
            text = f"{text} ({labels.follow_up_label()})"
        if reason:
            text = f"{text} – {reason}"
        if state == "afvist_af_dubu":
            text = f"{text}\n" + self.tr(
                "Elementet er tilbage i fordelingskøen: træf en ny beslutning."
            )
        self.delivery.setText(text)
        bad = state in ("afvist_af_dubu", "fejlet") or follow_up
        self.delivery.setStyleSheet("color: #c0392b" if bad else "")
        self.delivery.setVisible(True)

    def clear(self) -> None:
        self.message = None
        self.source = None
        self.delivery.clear()
        self.delivery.setVisible(False)
        self.header.clear()
        while self.files.count():
            self.files.removeTab(0)
        self.notice.setText(self.tr("Vælg et element i indbakken."))
        self.stack.setCurrentWidget(self.notice)
        self.open_button.setEnabled(False)
        self.save_button.setEnabled(False)

    def show_message(
        self,
        message: MemoMessage,
        contact_point_label: str | None = None,
        *,
        source: FileBytes | None = None,
    ) -> None:
        """Show `message`; file bytes come from `source` when given (a cached message: its
        stored header has none), else from the message's own `MemoFile.content`."""
        self.message = message
        self.source = source
        self.header.show_message(message, contact_point_label)
        self.files.blockSignals(True)
        while self.files.count():
            self.files.removeTab(0)
        for n, f in enumerate(message.files):
            self.files.addTab(
                self.style().standardIcon(_file_icon(f)), f"{f.safe_filename} ({_size(f.size)})"
            )
            self.files.setTabToolTip(
                n,
                labels.plain_tooltip(
                    self.tr("%1 · %2 · oprindeligt navn: %3")
                    .replace("%1", f.mime)
                    .replace("%2", _size(f.size))
                    .replace("%3", visible_name(f.filename))
                ),
            )
        self.files.blockSignals(False)
        has = bool(message.files)
        self.open_button.setEnabled(has)
        self.save_button.setEnabled(has)
        if has:
            preferred = self._preferred_file(message)
            if self.files.currentIndex() == preferred:
                self._show_file(preferred)
            else:
                self.files.setCurrentIndex(preferred)
        else:
            self.notice.setText(self.tr("Meddelelsen har ingen dokumenter."))
            self.stack.setCurrentWidget(self.notice)

    def show_file_of_type(self, mime_prefix: str) -> bool:
        """Select the first file whose MIME type starts with `mime_prefix` (e.g. a PDF)."""
        if self.message is None:
            return False
        for n, f in enumerate(self.message.files):
            if f.mime.startswith(mime_prefix):
                self.files.setCurrentIndex(n)
                return True
        return False

    @staticmethod
    def _preferred_file(message: MemoMessage) -> int:
        for n, f in enumerate(message.files):
            if f.role.value == "main" and f.mime.startswith("text/plain"):
                return n
        return 0

    def current_file(self) -> MemoFile | None:
        row = self.files.currentIndex()
        if self.message is None or not 0 <= row < len(self.message.files):
            return None
        return self.message.files[row]

    def _with_bytes(self, row: int, use: Callable[[MemoFile, bytes], None]) -> None:
        """Call `use(file, bytes)` for file `row` of the current message: at once when the bytes
        are at hand, else after loading them (if the same message and file are still current)."""
        message = self.message
        if message is None or not 0 <= row < len(message.files):
            return
        f = message.files[row]
        source = self.source
        if source is None:
            use(f, f.content)
            return
        data = source.cached(row)
        if data is not None:
            use(f, data)
            return
        self.notice.setText(self.tr("Henter filen …"))
        self.stack.setCurrentWidget(self.notice)

        async def fetch() -> None:
            try:
                loaded = await source.load(row)
            except Exception:
                if self.message is message:
                    self._fail(f)
                raise
            if self.message is message and self.files.currentIndex() == row:
                use(f, loaded)

        spawn(fetch(), "Hent fil")

    def _show_file(self, row: int) -> None:
        self._with_bytes(row, self._render_safely)

    def _render_safely(self, f: MemoFile, data: bytes) -> None:
        try:
            self._render(f, data)
        except Exception:
            log.exception("preview failed for one file")
            self._fail(f)

    def _render(self, f: MemoFile, data: bytes) -> None:
        mime = f.mime.lower()
        if mime.startswith("text/plain"):
            self.text.setPlainText(data.decode("utf-8", errors="replace"))
            self.stack.setCurrentWidget(self.text)
        elif mime == "text/html" or mime == "application/xhtml+xml":
            self.html.setHtml(sanitize_html(data.decode("utf-8", errors="replace")))
            self.stack.setCurrentWidget(self.html)
        elif mime == "application/pdf":
            if not data.startswith(b"%PDF") or not self.pdf.load(data):
                self._fail(f)
                return
            self.stack.setCurrentWidget(self.pdf)
        elif mime.startswith("image/"):
            # decoded in memory only: raster by its magic bytes, SVG rebuilt without any
            # external reference (see app.ui.safe_media)
            if mime == "image/svg+xml" or looks_like_svg(data):
                image = render_svg(data, max(200, self.image_scroll.viewport().width() - 8))
            else:
                image = decode_raster(data)
            if image.isNull():
                self._fail(f)
                return
            pixmap = QPixmap.fromImage(image)
            width = max(200, self.image_scroll.viewport().width() - 8)
            if pixmap.width() > width:
                pixmap = pixmap.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
            self.image.setPixmap(pixmap)
            self.stack.setCurrentWidget(self.image_scroll)
        else:
            self.notice.setText(
                self.tr("Filtypen %1 kan ikke vises her. Brug Gem eller Åbn.").replace("%1", f.mime)
            )
            self.stack.setCurrentWidget(self.notice)

    def _fail(self, f: MemoFile) -> None:
        self.notice.setText(
            self.tr(
                "Filen kunne ikke vises: indholdet passer ikke til den angivne type (%1)."
            ).replace("%1", f.mime)
        )
        self.stack.setCurrentWidget(self.notice)

    # ------------------------------------------------------------------ open / save
    def confirm_risky(self, f: MemoFile) -> bool:
        if not is_risky(f):
            return True
        answer = QMessageBox.warning(
            self,
            self.tr("Åbn fil?"),
            self.tr(
                'Filen "%1" (%2) kan indeholde kode, der kører på din computer.\n'
                "Åbn den kun, hvis du stoler på afsenderen."
            )
            .replace("%1", f.safe_filename)
            .replace("%2", f.mime),
            QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Open

    def open_current(self) -> None:
        f = self.current_file()
        if f is None or not self.confirm_risky(f):
            return
        row = self.files.currentIndex()

        def hand_out(f: MemoFile, data: bytes) -> None:
            folder = Path(tempfile.mkdtemp(prefix="open-", dir=paths.sub("open")))
            target = folder / f.safe_filename  # safe: never the sender's name as a path
            target.write_bytes(data)
            self.fileHandedOut.emit(row, "open_file")
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(target)))

        self._with_bytes(row, hand_out)

    def save_current(self) -> None:
        f = self.current_file()
        if f is None:
            return
        row = self.files.currentIndex()
        start = str(Path.home() / f.safe_filename)
        name, _ = QFileDialog.getSaveFileName(self, self.tr("Gem fil"), start)
        if not name:
            return

        def save(_f: MemoFile, data: bytes) -> None:
            Path(name).write_bytes(data)
            self.fileHandedOut.emit(row, "save_file")

        self._with_bytes(row, save)


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} kB"
    return f"{n / 1024 / 1024:.1f} MB"


def _file_icon(f: MemoFile) -> QStyle.StandardPixmap:
    if is_risky(f):
        return QStyle.StandardPixmap.SP_MessageBoxWarning
    return QStyle.StandardPixmap.SP_FileIcon
