"""OSM ``landuse`` values mapped to 2023 land-use codes (国土空间调查、规划、用途管制用地用海分类指南).

Status U-inference: OSM tags describe what is on the ground, not a legal land-use class, so each code below
is a judgement (codes from ../shared/spec/standards.md §6). Values not listed get no code. Every code filled
from this table is flagged ``lu_code_estimated`` and reported as ``value_estimated``.
"""

STATUS = "U-inference"
SOURCE = "tool table gisplanner.io.osm_landuse: OSM landuse tag -> 2023 code of standards.md §6"

OSM_LANDUSE_2023: dict[str, str] = {
    "residential": "0701",      # 城镇住宅用地
    "retail": "0901",           # 商业用地
    "commercial": "0902",       # 商务金融用地 (OSM commercial = offices)
    "hotel": "090104",          # 旅馆用地
    "car_repair": "0901",
    "governmental": "0801",     # 机关团体用地
    "government": "0801",
    "education": "0804",        # 教育用地
    "public": "08",             # 公共管理与公共服务用地, class not known
    "religious": "1503",        # 宗教用地
    "military": "1501",         # 军事设施用地
    "cemetery": "1506",         # 殡葬用地
    "industrial": "1001",       # 工业用地
    "warehouse": "1101",        # 物流仓储用地
    "railway": "1201",          # 铁路用地
    "garages": "120803",        # 社会停车场用地
    "parking": "120803",
    "landfill": "1309",         # 环卫用地
    "recreation_ground": "1401",  # 公园绿地
    "village_green": "1401",
    "flowerbed": "1401",
    "grass": "1402",            # 防护绿地: urban grass strips along roads
    "forest": "0301",           # 乔木林地
    "meadow": "0403",           # 其他草地
    "orchard": "0201",          # 果园
    "farmland": "0103",         # 旱地
    "brownfield": "2301",       # 空闲地
    "greenfield": "2301",
    "construction": "2301",     # site under construction; its future use is unknown
}
