"""Convert NIH DeepLesion (``DL_info.csv`` + ``Images_png/``) to COCO json.

Input layout (the real DeepLesion one)::

    <data-root>/
        DL_info.csv
        Images_png/<patient:06d>_<study:02d>_<series:02d>/<slice:03d>.png

The PNGs are 16-bit unsigned, HU = value - 32768.

Usage::

    python tools/dataset_converters/deeplesion_to_coco.py \\
        --data-root data/deeplesion [--csv data/deeplesion/DL_info.csv] \\
        [--out-dir data/deeplesion/annotations]

Outputs, in ``--out-dir`` (default ``<data-root>/annotations``): one file per
official split of the ``Train_Val_Test`` column (1 train, 2 val, 3 test),
``instances_train.json``, ``instances_val.json``, ``instances_test.json``.

COCO content. One image per key slice (``File_name``), holding all its
lesions (the CSV has one row per lesion). Images are sorted by
``File_name``; ids are 1..n over all splits, annotation ids 1..N in that
image order and CSV row order within an image, so ids are unique across
the three files. One category ``{id: 1, name: 'lesion'}``.

Per image, besides ``id``, ``file_name`` (the key slice, relative to the
data root: ``Images_png/<series>/<slice>.png``), ``width`` and ``height``
(read from the PNG header), the fields the slice loader and the metric
need:

* ``series``: ``'<patient>_<study>_<series>'`` (the slice folder's name),
  ``slice_dir``: ``'Images_png/<series>'``;
* ``key_slice`` (int), ``slice_range`` ``[first, last]`` (slice indices on
  disk for the volume, from ``Slice_range``);
* ``spacing`` ``[x, y, z]`` in mm, z being the slice interval
  (``Spacing_mm_px_``);
* ``dicom_windows``: the distinct ``[min, max]`` HU windows of its lesions;
* ``split`` (1/2/3), ``patient_index``, ``study_index``, ``series_id``,
  ``patient_gender``, ``patient_age`` (``null`` where the CSV says NaN);
* ``num_noisy``: how many of its lesions are possibly noisy.

Per annotation: ``bbox = [x1 - 1, y1 - 1, x2 - x1, y2 - y1]`` from the
1-based ``Bounding_boxes`` ``x1, y1, x2, y2`` (the reference loaders
subtract 1; the coordinates are real-valued, so the width is ``x2 - x1``,
without the ``+ 1`` of integer pixel masks), ``area = w * h``,
``iscrowd = 0``, ``noisy`` (0/1, ``Possibly_noisy``), ``lesion_type``
(``Coarse_lesion_type``: -1 in train, 1..8 = bone, abdomen, mediastinum,
liver, lung, kidney, soft tissue, pelvis), ``dicom_window``, ``recist``
(``Measurement_coordinates``, 8 numbers, made 0-based like the box),
``diameters_px`` and ``normalized_location``. Possibly-noisy lesions are
kept with ``noisy = 1`` (the metric drops them; training uses them like
any other lesion).

Errors (raised as :class:`ConversionError`, a ``ValueError``; the CLI
prints the message and exits with status 1): a missing CSV or column, a
malformed row (wrong field count, a field that does not parse, a vector of
the wrong length, ``File_name`` disagreeing with the index columns, a key
slice outside ``Slice_range``, an empty box, a split or noisy flag out of
range) named by CSV file and line number, rows of one key slice that
disagree on per-image fields (named by both lines), a missing key-slice
PNG named by its path, and a key-slice PNG that is not a 16-bit grey PNG or
whose size does not match ``Image_size``. All files are written at the end,
all or none.
"""
import argparse
import csv
import math
import os.path as osp
import re
import struct
import sys
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple

try:
    from mmssmd.utils.io import atomic_write_many
except ImportError:  # run from a source checkout without installing
    sys.path.insert(
        0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    from mmssmd.utils.io import atomic_write_many

CATEGORIES = [{'id': 1, 'name': 'lesion'}]
SPLITS = {1: 'train', 2: 'val', 3: 'test'}
COLUMNS = ('File_name', 'Patient_index', 'Study_index', 'Series_ID',
           'Key_slice_index', 'Measurement_coordinates', 'Bounding_boxes',
           'Lesion_diameters_Pixel_', 'Normalized_lesion_location',
           'Coarse_lesion_type', 'Possibly_noisy', 'Slice_range',
           'Spacing_mm_px_', 'Image_size', 'DICOM_windows', 'Patient_gender',
           'Patient_age', 'Train_Val_Test')
FILE_NAME_RE = re.compile(r'^(\d+)_(\d+)_(\d+)_(\d+)\.png$')
# image-level fields every row of one key slice must agree on
IMAGE_FIELDS = ('series', 'key_slice', 'slice_range', 'spacing',
                'image_size', 'split', 'patient_index', 'study_index',
                'series_id', 'patient_gender', 'patient_age')


class ConversionError(ValueError):
    """Raised for input the converter cannot turn into COCO json."""


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse ``argv`` (without the program name; None: ``sys.argv``)."""
    parser = argparse.ArgumentParser(
        description='Convert DeepLesion DL_info.csv + Images_png to COCO '
        'json for the official train / val / test split.')
    parser.add_argument('--data-root', required=True,
                        help='directory that holds Images_png/ (and, by '
                        'default, DL_info.csv)')
    parser.add_argument('--csv', default=None,
                        help='DL_info.csv (default: <data-root>/DL_info.csv)')
    parser.add_argument('--out-dir', default=None,
                        help='output directory (default: '
                        '<data-root>/annotations)')
    return parser.parse_args(argv)


# --------------------------------------------------------------------------
# Parsing one row
# --------------------------------------------------------------------------
def _floats(text: str, n: int, name: str, where: str) -> List[float]:
    """Parse a quoted ``", "``-separated vector of ``n`` numbers."""
    parts = [p.strip() for p in text.split(',')]
    if len(parts) != n or any(p == '' for p in parts):
        raise ConversionError(
            f'{where}: {name} must hold {n} comma-separated numbers, got '
            f'{text!r}')
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ConversionError(
            f'{where}: {name} must hold {n} comma-separated numbers, got '
            f'{text!r}') from None
    return values


def _finite(values: List[float], name: str, where: str) -> List[float]:
    if not all(math.isfinite(v) for v in values):
        raise ConversionError(f'{where}: {name} has a non-finite value '
                              f'{values}')
    return values


def _int(text: str, name: str, where: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ConversionError(
            f'{where}: {name} must be an integer, got {text!r}') from None


def _int_pair(text: str, name: str, where: str) -> List[int]:
    values = _finite(_floats(text, 2, name, where), name, where)
    if any(v != int(v) for v in values):
        raise ConversionError(f'{where}: {name} must hold integers, got '
                              f'{text!r}')
    return [int(v) for v in values]


def parse_row(row: Dict[str, str], where: str) -> Dict[str, Any]:
    """Parse and check one ``DL_info.csv`` row (one lesion).

    Args:
        row: The row, column name -> text.
        where: ``'<csv file> line <n>'``, used in error messages.

    Returns:
        The parsed lesion: image-level fields (``file_name``, ``series``,
        ``key_slice``, ``slice_range``, ``spacing``, ``image_size``,
        ``split``, ...) and lesion fields (``box`` as 1-based
        ``[x1, y1, x2, y2]``, ``noisy``, ``lesion_type``, ...).

    Raises:
        ConversionError: The row is malformed.
    """
    name = row['File_name'].strip()
    m = FILE_NAME_RE.match(name)
    if m is None:
        raise ConversionError(
            f'{where}: File_name {name!r} is not '
            '<patient>_<study>_<series>_<slice>.png')
    patient = _int(row['Patient_index'], 'Patient_index', where)
    study = _int(row['Study_index'], 'Study_index', where)
    series = _int(row['Series_ID'], 'Series_ID', where)
    key = _int(row['Key_slice_index'], 'Key_slice_index', where)
    if tuple(int(g) for g in m.groups()) != (patient, study, series, key):
        raise ConversionError(
            f'{where}: File_name {name!r} disagrees with Patient_index '
            f'{patient}, Study_index {study}, Series_ID {series}, '
            f'Key_slice_index {key}')
    box = _finite(_floats(row['Bounding_boxes'], 4, 'Bounding_boxes', where),
                  'Bounding_boxes', where)
    if not (box[2] > box[0] and box[3] > box[1]):
        raise ConversionError(
            f'{where}: Bounding_boxes {box} is empty (needs x2 > x1 and '
            'y2 > y1)')
    recist = _finite(
        _floats(row['Measurement_coordinates'], 8,
                'Measurement_coordinates', where),
        'Measurement_coordinates', where)
    diameters = _floats(row['Lesion_diameters_Pixel_'], 2,
                        'Lesion_diameters_Pixel_', where)
    location = _floats(row['Normalized_lesion_location'], 3,
                       'Normalized_lesion_location', where)
    lesion_type = _int(row['Coarse_lesion_type'], 'Coarse_lesion_type',
                       where)
    if lesion_type != -1 and not 1 <= lesion_type <= 8:
        raise ConversionError(
            f'{where}: Coarse_lesion_type must be -1 or 1..8, got '
            f'{lesion_type}')
    noisy = _int(row['Possibly_noisy'], 'Possibly_noisy', where)
    if noisy not in (0, 1):
        raise ConversionError(
            f'{where}: Possibly_noisy must be 0 or 1, got {noisy}')
    slice_range = _int_pair(row['Slice_range'], 'Slice_range', where)
    if not slice_range[0] <= key <= slice_range[1]:
        raise ConversionError(
            f'{where}: Key_slice_index {key} is outside Slice_range '
            f'{slice_range}')
    # the slice interval may be missing (NaN) or 0: the loader then repeats
    # the key slice; the in-plane spacing must be usable
    spacing = _floats(row['Spacing_mm_px_'], 3, 'Spacing_mm_px_', where)
    if not all(math.isfinite(v) and v > 0 for v in spacing[:2]):
        raise ConversionError(
            f'{where}: Spacing_mm_px_ x and y must be positive, got '
            f'{spacing[:2]}')
    z = spacing[2] if math.isfinite(spacing[2]) and spacing[2] > 0 else None
    image_size = _int_pair(row['Image_size'], 'Image_size', where)
    if min(image_size) < 1:
        raise ConversionError(f'{where}: Image_size must be positive, got '
                              f'{image_size}')
    window = _finite(_floats(row['DICOM_windows'], 2, 'DICOM_windows', where),
                     'DICOM_windows', where)
    age_text = row['Patient_age'].strip()
    if age_text.lower() in ('nan', ''):
        age = None
    else:
        try:
            age = float(age_text)
        except ValueError:
            raise ConversionError(
                f'{where}: Patient_age must be a number or NaN, got '
                f'{age_text!r}') from None
        age = int(age) if age.is_integer() else age
    split = _int(row['Train_Val_Test'], 'Train_Val_Test', where)
    if split not in SPLITS:
        raise ConversionError(
            f'{where}: Train_Val_Test must be 1, 2 or 3, got {split}')
    series_name = f'{patient:06d}_{study:02d}_{series:02d}'
    return dict(
        file_name=name,
        series=series_name,
        key_slice=key,
        slice_range=slice_range,
        spacing=[spacing[0], spacing[1], z],
        image_size=image_size,
        split=split,
        patient_index=patient,
        study_index=study,
        series_id=series,
        patient_gender=row['Patient_gender'].strip(),
        patient_age=age,
        box=box,
        recist=recist,
        diameters=diameters,
        location=location,
        lesion_type=lesion_type,
        noisy=noisy,
        window=window)


def read_dl_info(csv_path: str) -> 'OrderedDict[str, List[Tuple[int, Dict]]]':
    """Read ``DL_info.csv`` and group its rows by key slice.

    Args:
        csv_path: The CSV file.

    Returns:
        ``File_name`` -> list of ``(line number, parsed row)`` in file order.

    Raises:
        ConversionError: Missing file or columns, malformed or inconsistent
            rows.
    """
    if not osp.isfile(csv_path):
        raise ConversionError(f'CSV file {csv_path} not found')
    groups: 'OrderedDict[str, List[Tuple[int, Dict]]]' = OrderedDict()
    with open(csv_path, newline='', encoding='utf-8-sig') as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise ConversionError(f'CSV file {csv_path} is empty')
        header = [h.strip() for h in header]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise ConversionError(
                f'{csv_path} line 1: header lacks column(s) {missing}')
        for fields in reader:
            line = reader.line_num
            if not fields or all(not c.strip() for c in fields):
                continue
            where = f'{csv_path} line {line}'
            if len(fields) != len(header):
                raise ConversionError(
                    f'{where}: expected {len(header)} fields, got '
                    f'{len(fields)}')
            lesion = parse_row(dict(zip(header, fields)), where)
            rows = groups.setdefault(lesion['file_name'], [])
            if rows:
                first_line, first = rows[0]
                for key in IMAGE_FIELDS:
                    if lesion[key] != first[key]:
                        raise ConversionError(
                            f'{where}: {key} {lesion[key]!r} differs from '
                            f'{first[key]!r} on line {first_line} for the '
                            f'same key slice {lesion["file_name"]}')
            rows.append((line, lesion))
    if not groups:
        raise ConversionError(f'CSV file {csv_path} has no data rows')
    return groups


# --------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------
def png_header(path: str) -> Tuple[int, int, int, int]:
    """Read width, height, bit depth and colour type from a PNG header.

    Reading the IHDR chunk (the first 29 bytes) instead of decoding keeps the
    check cheap for the 32,120 key slices.

    Args:
        path: The PNG.

    Returns:
        ``(width, height, bit_depth, colour_type)``.

    Raises:
        ConversionError: The file is missing or not a PNG.
    """
    if not osp.isfile(path):
        raise ConversionError(f'key slice {path} not found')
    try:
        with open(path, 'rb') as f:
            head = f.read(29)
    except OSError as e:
        raise ConversionError(f'cannot read key slice {path}: {e}') from e
    if len(head) < 29 or head[:8] != b'\x89PNG\r\n\x1a\n' or \
            head[12:16] != b'IHDR':
        raise ConversionError(f'key slice {path} is not a PNG file')
    width, height, depth, colour = struct.unpack('>IIBB', head[16:26])
    return width, height, depth, colour


def convert(data_root: str, csv_path: str
            ) -> Tuple[List[Dict], List[Dict], Dict[str, Any]]:
    """Convert the CSV rows and check the key slices.

    Args:
        data_root: Directory that holds ``Images_png``.
        csv_path: ``DL_info.csv``.

    Returns:
        ``(images, annotations, report)`` over all splits.

    Raises:
        ConversionError: On bad input.
    """
    groups = read_dl_info(csv_path)
    images: List[Dict] = []
    annotations: List[Dict] = []
    for image_id, file_name in enumerate(sorted(groups), start=1):
        rows = groups[file_name]
        first_line, first = rows[0]
        rel = f'Images_png/{first["series"]}/{first["key_slice"]:03d}.png'
        path = osp.join(data_root, rel)
        width, height, depth, colour = png_header(path)
        if depth != 16 or colour != 0:
            raise ConversionError(
                f'key slice {path} is not a 16-bit grey PNG (bit depth '
                f'{depth}, colour type {colour}); DeepLesion slices store '
                'HU + 32768 as uint16')
        if sorted(first['image_size']) != sorted([width, height]):
            raise ConversionError(
                f'{csv_path} line {first_line}: Image_size '
                f'{first["image_size"]} does not match the {width}x{height} '
                f'(width x height) key slice {path}')
        windows: List[List[float]] = []
        for _, lesion in rows:
            if lesion['window'] not in windows:
                windows.append(lesion['window'])
        images.append(
            dict(
                id=image_id,
                file_name=rel,
                width=width,
                height=height,
                series=first['series'],
                slice_dir=f'Images_png/{first["series"]}',
                key_slice=first['key_slice'],
                slice_range=first['slice_range'],
                spacing=first['spacing'],
                dicom_windows=windows,
                split=first['split'],
                patient_index=first['patient_index'],
                study_index=first['study_index'],
                series_id=first['series_id'],
                patient_gender=first['patient_gender'],
                patient_age=first['patient_age'],
                num_noisy=sum(lesion['noisy'] for _, lesion in rows)))
        for _, lesion in rows:
            x1, y1, x2, y2 = lesion['box']
            w, h = x2 - x1, y2 - y1
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=image_id,
                    category_id=1,
                    bbox=[x1 - 1, y1 - 1, w, h],
                    area=w * h,
                    iscrowd=0,
                    noisy=lesion['noisy'],
                    lesion_type=lesion['lesion_type'],
                    dicom_window=lesion['window'],
                    recist=[v - 1 for v in lesion['recist']],
                    diameters_px=lesion['diameters'],
                    normalized_location=lesion['location']))
    report: Dict[str, Any] = {'splits': {}}
    for split, name in SPLITS.items():
        ids = {im['id'] for im in images if im['split'] == split}
        anns = [a for a in annotations if a['image_id'] in ids]
        report['splits'][name] = dict(
            images=len(ids),
            lesions=len(anns),
            noisy_lesions=sum(a['noisy'] for a in anns),
            images_all_noisy=sum(
                1 for im in images
                if im['split'] == split and im['num_noisy'] > 0 and
                im['num_noisy'] == sum(1 for a in anns
                                       if a['image_id'] == im['id'])),
            unknown_slice_interval=sum(
                1 for im in images
                if im['split'] == split and im['spacing'][2] is None))
    return images, annotations, report


def make_coco(images: List[Dict], annotations: List[Dict], split: int,
              info: Dict[str, Any]) -> Dict[str, Any]:
    """Build the COCO dict of one split."""
    split_images = [im for im in images if im['split'] == split]
    ids = {im['id'] for im in split_images}
    return dict(
        info=info,
        images=split_images,
        annotations=[a for a in annotations if a['image_id'] in ids],
        categories=CATEGORIES)


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """Run the conversion.

    Args:
        argv: Command-line arguments without the program name.

    Returns:
        The report: per split the number of images, lesions, noisy lesions,
        images whose lesions are all noisy and images with an unknown slice
        interval, and ``outputs`` (the written files).

    Raises:
        ConversionError: On bad input; nothing is written then.
    """
    args = parse_args(argv)
    csv_path = args.csv or osp.join(args.data_root, 'DL_info.csv')
    out_dir = args.out_dir or osp.join(args.data_root, 'annotations')
    images, annotations, report = convert(args.data_root, csv_path)
    outputs = {}
    for split, name in SPLITS.items():
        info = dict(
            description='NIH DeepLesion key slices, converted by mmssmd '
            'tools/dataset_converters/deeplesion_to_coco.py',
            split=name,
            report=report)
        outputs[osp.join(out_dir, f'instances_{name}.json')] = make_coco(
            images, annotations, split, info)
    atomic_write_many(outputs)
    for name, counts in report['splits'].items():
        sys.stderr.write(
            f'{name}: {counts["images"]} images, {counts["lesions"]} '
            f'lesions ({counts["noisy_lesions"]} possibly noisy, '
            f'{counts["images_all_noisy"]} images with only noisy lesions, '
            f'{counts["unknown_slice_interval"]} images with an unknown '
            'slice interval)\n')
    sys.stderr.write(f'wrote {len(outputs)} files to {out_dir}\n')
    return {**report, 'outputs': sorted(outputs)}


if __name__ == '__main__':
    try:
        main()
    except ConversionError as e:
        sys.exit(f'error: {e}')  # on stderr, exit status 1
